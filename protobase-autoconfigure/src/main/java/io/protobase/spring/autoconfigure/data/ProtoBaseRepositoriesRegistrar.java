package io.protobase.spring.autoconfigure.data;

import io.protobase.spring.data.repository.config.EnableProtoBaseRepositories;
import io.protobase.spring.data.repository.config.ProtoBaseRepositoryConfigurationExtension;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanNameGenerator;
import org.springframework.boot.autoconfigure.AutoConfigurationPackages;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.ResourceLoaderAware;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.data.repository.config.AnnotationRepositoryConfigurationSource;
import org.springframework.data.repository.config.RepositoryConfigurationDelegate;
import org.springframework.data.util.Streamable;

/**
 * Registers the repositories of the auto-configuration packages (those of
 * {@code @SpringBootApplication}), as if the application were annotated with
 * {@link EnableProtoBaseRepositories} there; Boot's {@code AbstractRepositoryConfigurationSourceSupport}
 * does the same for its stores. Does nothing when no auto-configuration package is known.
 */
class ProtoBaseRepositoriesRegistrar
        implements ImportBeanDefinitionRegistrar, BeanFactoryAware, ResourceLoaderAware, EnvironmentAware {

    private BeanFactory beanFactory;
    private ResourceLoader resourceLoader;
    private Environment environment;

    @Override
    public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry,
            BeanNameGenerator generator) {
        if (!AutoConfigurationPackages.has(beanFactory)) {
            return;
        }
        AnnotationRepositoryConfigurationSource source = new AnnotationRepositoryConfigurationSource(
                AnnotationMetadata.introspect(EnableConfiguration.class), EnableProtoBaseRepositories.class,
                resourceLoader, environment, registry, generator) {
            @Override
            public Streamable<String> getBasePackages() {
                return Streamable.of(AutoConfigurationPackages.get(beanFactory));
            }
        };
        new RepositoryConfigurationDelegate(source, resourceLoader, environment).registerRepositoriesIn(registry,
                new ProtoBaseRepositoryConfigurationExtension());
    }

    @Override
    public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
        registerBeanDefinitions(metadata, registry, null);
    }

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beanFactory = beanFactory;
    }

    @Override
    public void setResourceLoader(ResourceLoader resourceLoader) {
        this.resourceLoader = resourceLoader;
    }

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @EnableProtoBaseRepositories
    private static final class EnableConfiguration {
    }
}
