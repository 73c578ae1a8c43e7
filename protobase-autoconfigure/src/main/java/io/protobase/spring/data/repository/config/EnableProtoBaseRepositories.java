package io.protobase.spring.data.repository.config;

import io.protobase.spring.data.repository.support.ProtoBaseRepositoryFactoryBean;
import org.springframework.context.annotation.ComponentScan.Filter;
import org.springframework.context.annotation.Import;
import org.springframework.data.repository.config.DefaultRepositoryBaseClass;
import org.springframework.data.repository.query.QueryLookupStrategy;
import org.springframework.data.repository.query.QueryLookupStrategy.Key;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Enables ProtoBase repositories: interfaces extending {@code ProtoBaseRepository} (or Spring Data's
 * {@code Repository}) in the annotated class's package, or in the given packages, become beans.
 * Spring Boot applications get this by auto-configuration ({@code protobase.repositories.enabled}).
 * Registers a {@code ProtoBaseMappingContext} and a {@code ProtoBaseTemplate} on the {@code Database}
 * bean unless beans of those names exist.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@Import(ProtoBaseRepositoriesRegistrar.class)
public @interface EnableProtoBaseRepositories {

    /** Alias for {@link #basePackages()}. */
    String[] value() default {};

    /** Packages to scan for repository interfaces. */
    String[] basePackages() default {};

    /** Classes whose packages are scanned for repository interfaces. */
    Class<?>[] basePackageClasses() default {};

    /** Which candidates to include. */
    Filter[] includeFilters() default {};

    /** Which candidates to exclude. */
    Filter[] excludeFilters() default {};

    /** Suffix of custom repository implementation classes. */
    String repositoryImplementationPostfix() default "Impl";

    /** Location of named queries (not used: ProtoBase repositories derive queries from method names). */
    String namedQueriesLocation() default "";

    /** How query methods are resolved; ProtoBase derives every query from the method name. */
    Key queryLookupStrategy() default QueryLookupStrategy.Key.CREATE_IF_NOT_FOUND;

    /** The factory bean class of the repositories. */
    Class<?> repositoryFactoryBeanClass() default ProtoBaseRepositoryFactoryBean.class;

    /** The base class of the repository implementations. */
    Class<?> repositoryBaseClass() default DefaultRepositoryBaseClass.class;

    /** Name of the {@code ProtoBaseTemplate} bean the repositories use. */
    String templateRef() default "protoBaseTemplate";

    /** Whether repository interfaces nested in other classes are found. */
    boolean considerNestedRepositories() default false;
}
