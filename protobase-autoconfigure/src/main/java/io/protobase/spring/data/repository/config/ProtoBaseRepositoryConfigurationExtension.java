package io.protobase.spring.data.repository.config;

import io.protobase.spring.data.annotation.Root;
import io.protobase.spring.data.core.ProtoBaseTemplate;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.data.repository.ProtoBaseRepository;
import io.protobase.spring.data.repository.support.ProtoBaseRepositoryFactoryBean;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionBuilder;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.data.repository.config.AnnotationRepositoryConfigurationSource;
import org.springframework.data.repository.config.RepositoryConfigurationExtensionSupport;
import org.springframework.data.repository.config.RepositoryConfigurationSource;

import java.lang.annotation.Annotation;
import java.util.Collection;
import java.util.List;

/**
 * Spring Data's configuration hooks for ProtoBase: the repository factory bean, the template
 * reference, and default {@code protoBaseMappingContext} and {@code protoBaseTemplate} beans (the
 * template built on the application's {@code Database} bean) unless the application defines them.
 * The default template is autowired through its widest satisfiable constructor: it takes the
 * application's {@code ProtoBaseIdentifierGenerator} and {@code ProtoBaseExceptionTranslator} when
 * the context has one of each, and uses the defaults otherwise.
 */
public class ProtoBaseRepositoryConfigurationExtension extends RepositoryConfigurationExtensionSupport {

    /** Bean name of the default mapping context. */
    public static final String MAPPING_CONTEXT_BEAN_NAME = "protoBaseMappingContext";

    /** Bean name of the default template. */
    public static final String TEMPLATE_BEAN_NAME = "protoBaseTemplate";

    @Override
    public String getModuleName() {
        return "ProtoBase";
    }

    // deprecated in Spring Data Commons 4.0, yet still abstract there: every module must implement it
    @Override
    @SuppressWarnings("deprecation")
    protected String getModulePrefix() {
        return "protobase";
    }

    @Override
    public String getRepositoryFactoryBeanClassName() {
        return ProtoBaseRepositoryFactoryBean.class.getName();
    }

    @Override
    protected Collection<Class<? extends Annotation>> getIdentifyingAnnotations() {
        return List.of(Root.class);
    }

    @Override
    protected Collection<Class<?>> getIdentifyingTypes() {
        return List.of(ProtoBaseRepository.class);
    }

    @Override
    public void postProcess(BeanDefinitionBuilder builder, AnnotationRepositoryConfigurationSource config) {
        String templateRef = config.getAttributes().getString("templateRef");
        builder.addPropertyReference("protoBaseTemplate", templateRef.isEmpty() ? TEMPLATE_BEAN_NAME : templateRef);
    }

    @Override
    public void registerBeansForRoot(BeanDefinitionRegistry registry, RepositoryConfigurationSource config) {
        super.registerBeansForRoot(registry, config);
        registerIfNotAlreadyRegistered(() -> BeanDefinitionBuilder.rootBeanDefinition(ProtoBaseMappingContext.class)
                .getBeanDefinition(), registry, MAPPING_CONTEXT_BEAN_NAME, config.getSource());
        registerIfNotAlreadyRegistered(() -> {
            AbstractBeanDefinition template = BeanDefinitionBuilder.rootBeanDefinition(ProtoBaseTemplate.class)
                    .getBeanDefinition();
            template.setAutowireMode(AbstractBeanDefinition.AUTOWIRE_CONSTRUCTOR);
            return template;
        }, registry, TEMPLATE_BEAN_NAME, config.getSource());
    }
}
