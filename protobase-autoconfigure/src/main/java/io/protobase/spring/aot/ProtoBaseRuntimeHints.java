package io.protobase.spring.aot;

import io.protobase.spring.data.repository.support.SimpleProtoBaseRepository;
import org.jspecify.annotations.Nullable;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.TypeReference;

import java.util.List;

/**
 * Runtime hints of the starter, registered through {@code META-INF/spring/aot.factories}, so they
 * apply whenever the starter is on the classpath of an application processed ahead of time.
 *
 * <p>What they cover is what the starter itself reaches reflectively or as a resource:
 * <ul>
 *   <li>the repository base class, which Spring Data instantiates by reflection for every
 *       repository interface, and whose public methods its proxies invoke;</li>
 *   <li>the failure analyzers listed in {@code META-INF/spring.factories}, which Boot instantiates
 *       by name when a startup fails;</li>
 *   <li>the configuration metadata ({@code META-INF/spring-configuration-metadata.json} and the
 *       additional metadata), which the startup failure report reads to say what a property accepts.</li>
 * </ul>
 * Entity classes and repository interfaces are left to Spring Data's own AOT support, which
 * registers them for each repository it finds; configuration properties to Boot's.
 */
public class ProtoBaseRuntimeHints implements RuntimeHintsRegistrar {

    /** The failure analyzers of {@code META-INF/spring.factories}, by name (they are package-private). */
    static final List<String> FAILURE_ANALYZERS = List.of(
            "io.protobase.spring.autoconfigure.ProtoBasePropertiesFailureAnalyzer",
            "io.protobase.spring.autoconfigure.StorageFailureAnalyzers$S3ClientWithoutRegion",
            "io.protobase.spring.autoconfigure.StorageFailureAnalyzers$DirectoryUnusable",
            "io.protobase.spring.autoconfigure.StorageFailureAnalyzers$Locked",
            "io.protobase.spring.autoconfigure.StorageFailureAnalyzers$CloudUnusable",
            "io.protobase.spring.autoconfigure.StorageFailureAnalyzers$ClusterUnusable");

    @Override
    public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
        hints.reflection().registerType(SimpleProtoBaseRepository.class,
                MemberCategory.INVOKE_DECLARED_CONSTRUCTORS, MemberCategory.INVOKE_PUBLIC_METHODS);
        for (String analyzer : FAILURE_ANALYZERS) {
            hints.reflection().registerType(TypeReference.of(analyzer), MemberCategory.INVOKE_DECLARED_CONSTRUCTORS);
        }
        hints.resources().registerPattern("META-INF/spring-configuration-metadata.json");
        hints.resources().registerPattern("META-INF/additional-spring-configuration-metadata.json");
    }
}
