package io.protobase.spring.data.repository.support;

import io.protobase.spring.data.core.ProtoBaseOperations;
import org.springframework.data.repository.Repository;
import org.springframework.data.repository.core.support.RepositoryFactoryBeanSupport;
import org.springframework.data.repository.core.support.RepositoryFactorySupport;
import org.springframework.util.Assert;

/**
 * The factory bean registered for each ProtoBase repository interface; it needs the
 * {@link ProtoBaseOperations} ({@code @EnableProtoBaseRepositories(templateRef = ...)}).
 */
public class ProtoBaseRepositoryFactoryBean<T extends Repository<S, ID>, S, ID>
        extends RepositoryFactoryBeanSupport<T, S, ID> {

    private ProtoBaseOperations template;

    public ProtoBaseRepositoryFactoryBean(Class<? extends T> repositoryInterface) {
        super(repositoryInterface);
    }

    /**
     * Sets the operations (usually a {@code ProtoBaseTemplate}) the repositories use; the property keeps its historic
     * name.
     */
    public void setProtoBaseTemplate(ProtoBaseOperations template) {
        this.template = template;
        setMappingContext(template.getMappingContext());
    }

    @Override
    protected RepositoryFactorySupport createRepositoryFactory() {
        return new ProtoBaseRepositoryFactory(template);
    }

    @Override
    public void afterPropertiesSet() {
        Assert.state(template != null, "ProtoBaseOperations must be set: a protoBaseTemplate bean, or the one "
                + "named by @EnableProtoBaseRepositories(templateRef)");
        super.afterPropertiesSet();
    }
}
