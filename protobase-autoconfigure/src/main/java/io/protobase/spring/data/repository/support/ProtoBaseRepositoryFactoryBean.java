package io.protobase.spring.data.repository.support;

import io.protobase.spring.data.core.ProtoBaseTemplate;
import org.springframework.data.repository.Repository;
import org.springframework.data.repository.core.support.RepositoryFactoryBeanSupport;
import org.springframework.data.repository.core.support.RepositoryFactorySupport;
import org.springframework.util.Assert;

/**
 * The factory bean registered for each ProtoBase repository interface; it needs the
 * {@link ProtoBaseTemplate} ({@code @EnableProtoBaseRepositories(templateRef = ...)}).
 */
public class ProtoBaseRepositoryFactoryBean<T extends Repository<S, ID>, S, ID>
        extends RepositoryFactoryBeanSupport<T, S, ID> {

    private ProtoBaseTemplate template;

    public ProtoBaseRepositoryFactoryBean(Class<? extends T> repositoryInterface) {
        super(repositoryInterface);
    }

    /** Sets the template the repositories use. */
    public void setProtoBaseTemplate(ProtoBaseTemplate template) {
        this.template = template;
        setMappingContext(template.getMappingContext());
    }

    @Override
    protected RepositoryFactorySupport createRepositoryFactory() {
        return new ProtoBaseRepositoryFactory(template);
    }

    @Override
    public void afterPropertiesSet() {
        Assert.state(template != null, "ProtoBaseTemplate must be set");
        super.afterPropertiesSet();
    }
}
