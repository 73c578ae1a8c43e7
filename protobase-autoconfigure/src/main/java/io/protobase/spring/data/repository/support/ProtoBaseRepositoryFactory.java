package io.protobase.spring.data.repository.support;

import io.protobase.spring.data.core.ProtoBaseOperations;
import io.protobase.spring.data.core.mapping.ProtoBasePersistentEntity;
import io.protobase.spring.data.repository.query.ProtoBaseQueryLookupStrategy;
import org.springframework.data.repository.core.EntityInformation;
import org.springframework.data.repository.core.RepositoryInformation;
import org.springframework.data.repository.core.RepositoryMetadata;
import org.springframework.data.repository.core.support.PersistentEntityInformation;
import org.springframework.data.repository.core.support.RepositoryFactorySupport;
import org.springframework.data.repository.query.QueryLookupStrategy;
import org.springframework.data.repository.query.ValueExpressionDelegate;

import java.util.Optional;

/**
 * Creates ProtoBase repository instances: a {@link SimpleProtoBaseRepository} for the CRUD, paging
 * and example methods, and derived queries for the rest. Creating a repository prepares its entity
 * type ({@link ProtoBaseOperations#prepare}): mapping checked, enums registered, indexes in place.
 */
public class ProtoBaseRepositoryFactory extends RepositoryFactorySupport {

    private final ProtoBaseOperations template;

    public ProtoBaseRepositoryFactory(ProtoBaseOperations template) {
        this.template = template;
    }

    @Override
    @SuppressWarnings("unchecked")
    public EntityInformation<?, ?> getEntityInformation(RepositoryMetadata metadata) {
        ProtoBasePersistentEntity<?> entity = template.getMappingContext()
                .getRequiredPersistentEntity(metadata.getDomainType());
        return new PersistentEntityInformation<>((ProtoBasePersistentEntity<Object>) entity);
    }

    @Override
    protected Object getTargetRepository(RepositoryInformation information) {
        template.prepare(information.getDomainType());
        return getTargetRepositoryViaReflection(information, getEntityInformation(information), template);
    }

    @Override
    protected Class<?> getRepositoryBaseClass(RepositoryMetadata metadata) {
        return SimpleProtoBaseRepository.class;
    }

    @Override
    protected Optional<QueryLookupStrategy> getQueryLookupStrategy(QueryLookupStrategy.Key key,
            ValueExpressionDelegate valueExpressionDelegate) {
        return Optional.of(new ProtoBaseQueryLookupStrategy(template));
    }
}
