package io.protobase.spring.test.autoconfigure;

import org.springframework.boot.test.autoconfigure.TestSliceTestContextBootstrapper;

import java.util.stream.Stream;

/**
 * Bootstraps {@link DataProtoBaseTest @DataProtoBaseTest}: its {@code properties}, after
 * {@code protobase.storage.type=memory}, as inlined test properties, which win over the application's
 * configuration files.
 */
class DataProtoBaseTestContextBootstrapper extends TestSliceTestContextBootstrapper<DataProtoBaseTest> {

    /** The storage a slice runs on unless its {@code properties} say otherwise. */
    static final String MEMORY_STORAGE = "protobase.storage.type=memory";

    @Override
    protected String[] getProperties(Class<?> testClass) {
        String[] declared = super.getProperties(testClass);
        return Stream.concat(Stream.of(MEMORY_STORAGE), declared == null ? Stream.empty() : Stream.of(declared))
                .toArray(String[]::new);
    }
}
