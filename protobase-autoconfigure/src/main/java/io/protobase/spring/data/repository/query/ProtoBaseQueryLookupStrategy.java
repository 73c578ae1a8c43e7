package io.protobase.spring.data.repository.query;

import io.protobase.spring.data.core.ProtoBaseOperations;
import org.springframework.data.projection.ProjectionFactory;
import org.springframework.data.repository.core.NamedQueries;
import org.springframework.data.repository.core.RepositoryMetadata;
import org.springframework.data.repository.query.QueryLookupStrategy;
import org.springframework.data.repository.query.DefaultParameters;
import org.springframework.data.repository.query.QueryMethod;
import org.springframework.data.repository.query.RepositoryQuery;

import java.lang.reflect.Method;

/** Resolves every query method of a ProtoBase repository as a derived query ({@link ProtoBasePartTreeQuery}). */
public class ProtoBaseQueryLookupStrategy implements QueryLookupStrategy {

    private final ProtoBaseOperations template;

    public ProtoBaseQueryLookupStrategy(ProtoBaseOperations template) {
        this.template = template;
    }

    @Override
    public RepositoryQuery resolveQuery(Method method, RepositoryMetadata metadata, ProjectionFactory factory,
            NamedQueries namedQueries) {
        return new ProtoBasePartTreeQuery(new QueryMethod(method, metadata, factory, DefaultParameters::new), template);
    }
}
