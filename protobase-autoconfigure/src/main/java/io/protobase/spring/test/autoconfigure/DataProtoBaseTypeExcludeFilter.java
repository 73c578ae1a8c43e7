package io.protobase.spring.test.autoconfigure;

import org.springframework.boot.test.context.filter.annotation.StandardAnnotationCustomizableTypeExcludeFilter;

/**
 * Keeps the application's components out of a {@link DataProtoBaseTest @DataProtoBaseTest} context,
 * except those its include filters name. Repositories are not components: the repositories
 * auto-configuration finds them.
 */
public final class DataProtoBaseTypeExcludeFilter
        extends StandardAnnotationCustomizableTypeExcludeFilter<DataProtoBaseTest> {

    DataProtoBaseTypeExcludeFilter(Class<?> testClass) {
        super(testClass);
    }
}
