package io.protobase.architecture;

import io.protobase.index.IndexDefinition;
import io.protobase.query.Query;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The user-facing query and index packages tell IDEs, Kotlin and null checkers where {@code null} is
 * allowed: they are JSpecify {@code @NullMarked}, so whatever is not annotated {@code @Nullable} is
 * non-null. The javadoc of the same packages is checked by the compiler (doclint in the engine's pom).
 */
class PublicApiNullnessTest {

    @Test
    void theQueryPackageIsNullMarked() {
        assertThat(Query.class.getPackage().isAnnotationPresent(NullMarked.class))
                .as("@NullMarked on %s", Query.class.getPackageName()).isTrue();
    }

    @Test
    void theIndexPackageIsNullMarked() {
        assertThat(IndexDefinition.class.getPackage().isAnnotationPresent(NullMarked.class))
                .as("@NullMarked on %s", IndexDefinition.class.getPackageName()).isTrue();
    }
}
