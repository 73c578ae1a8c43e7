package io.protobase.spring.data.repository.config;

import org.springframework.data.repository.config.RepositoryBeanDefinitionRegistrarSupport;
import org.springframework.data.repository.config.RepositoryConfigurationExtension;

import java.lang.annotation.Annotation;

/** Registers the repositories that {@link EnableProtoBaseRepositories} asks for. */
public class ProtoBaseRepositoriesRegistrar extends RepositoryBeanDefinitionRegistrarSupport {

    @Override
    protected Class<? extends Annotation> getAnnotation() {
        return EnableProtoBaseRepositories.class;
    }

    @Override
    protected RepositoryConfigurationExtension getExtension() {
        return new ProtoBaseRepositoryConfigurationExtension();
    }
}
