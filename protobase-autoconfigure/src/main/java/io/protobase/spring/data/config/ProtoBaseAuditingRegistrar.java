package io.protobase.spring.data.config;

import io.protobase.spring.data.core.mapping.event.AuditingEntityCallback;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionBuilder;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.data.auditing.IsNewAwareAuditingHandler;
import org.springframework.data.auditing.config.AuditingBeanDefinitionRegistrarSupport;
import org.springframework.data.auditing.config.AuditingConfiguration;
import org.springframework.data.config.ParsingUtils;

import java.lang.annotation.Annotation;

/**
 * Registers what {@link EnableProtoBaseAuditing} asks for, on Spring Data's registrar support: an
 * {@link IsNewAwareAuditingHandler} on the {@code protoBaseMappingContext} bean, configured from the
 * annotation, and an {@link AuditingEntityCallback} that applies it to each entity before the
 * template converts it. The callback reaches the handler through an object factory, so the handler
 * (and the mapping context) are created when the first entity is saved, not when callbacks are
 * collected.
 */
class ProtoBaseAuditingRegistrar extends AuditingBeanDefinitionRegistrarSupport {

    /** The bean name of the mapping context the handler inspects. */
    static final String MAPPING_CONTEXT_BEAN_NAME = "protoBaseMappingContext";

    @Override
    protected Class<? extends Annotation> getAnnotation() {
        return EnableProtoBaseAuditing.class;
    }

    @Override
    protected String getAuditingHandlerBeanName() {
        return "protoBaseAuditingHandler";
    }

    @Override
    protected void postProcess(BeanDefinitionBuilder builder, AuditingConfiguration configuration,
            BeanDefinitionRegistry registry) {
        builder.setFactoryMethod("from").addConstructorArgReference(MAPPING_CONTEXT_BEAN_NAME);
    }

    @Override
    protected BeanDefinitionBuilder getAuditHandlerBeanDefinitionBuilder(AuditingConfiguration configuration) {
        return configureDefaultAuditHandlerAttributes(configuration,
                BeanDefinitionBuilder.rootBeanDefinition(IsNewAwareAuditingHandler.class));
    }

    @Override
    protected void registerAuditListenerBeanDefinition(BeanDefinition auditingHandlerDefinition,
            BeanDefinitionRegistry registry) {
        BeanDefinitionBuilder callback = BeanDefinitionBuilder.rootBeanDefinition(AuditingEntityCallback.class)
                .addConstructorArgValue(ParsingUtils.getObjectFactoryBeanDefinition(getAuditingHandlerBeanName(),
                        null));
        registerInfrastructureBeanWithId(callback.getBeanDefinition(), AuditingEntityCallback.class.getName(),
                registry);
    }
}
