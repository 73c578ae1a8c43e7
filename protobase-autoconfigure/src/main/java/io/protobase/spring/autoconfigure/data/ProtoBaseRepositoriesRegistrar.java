package io.protobase.spring.autoconfigure.data;

import io.protobase.spring.data.repository.config.EnableProtoBaseRepositories;
import io.protobase.spring.data.repository.config.ProtoBaseRepositoryConfigurationExtension;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurationPackages;
import org.springframework.boot.autoconfigure.data.AbstractRepositoryConfigurationSourceSupport;
import org.springframework.data.repository.config.RepositoryConfigurationExtension;
import org.springframework.data.util.Streamable;

import java.lang.annotation.Annotation;

/**
 * Registers the repositories of the auto-configuration packages (those of
 * {@code @SpringBootApplication}), as if the application were annotated with
 * {@link EnableProtoBaseRepositories} there: Boot's registrar support, as for its own Spring Data
 * stores, with ProtoBase's annotation and configuration extension.
 *
 * <p>Unlike Boot's stores, it registers nothing, rather than failing, when no auto-configuration
 * package is known (an application context assembled without {@code @SpringBootApplication} or
 * {@code @AutoConfigurationPackage}): such an application has no package to scan and declares its
 * repositories with {@link EnableProtoBaseRepositories} if it has any.
 */
class ProtoBaseRepositoriesRegistrar extends AbstractRepositoryConfigurationSourceSupport {

    private BeanFactory beanFactory;

    @Override
    protected Class<? extends Annotation> getAnnotation() {
        return EnableProtoBaseRepositories.class;
    }

    @Override
    protected Class<?> getConfiguration() {
        return EnableProtoBaseRepositoriesConfiguration.class;
    }

    @Override
    protected RepositoryConfigurationExtension getRepositoryConfigurationExtension() {
        return new ProtoBaseRepositoryConfigurationExtension();
    }

    @Override
    protected Streamable<String> getBasePackages() {
        return AutoConfigurationPackages.has(beanFactory) ? super.getBasePackages() : Streamable.empty();
    }

    @Override
    public void setBeanFactory(BeanFactory beanFactory) throws BeansException {
        super.setBeanFactory(beanFactory);
        this.beanFactory = beanFactory;
    }

    @EnableProtoBaseRepositories
    private static final class EnableProtoBaseRepositoriesConfiguration {
    }
}
