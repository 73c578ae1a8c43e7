package io.protobase.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/** The engine's main classes, imported once for every architecture test of this package. */
final class EngineClasses {

    private static JavaClasses main;

    private EngineClasses() {
    }

    /** The classes of {@code io.protobase..} without the tests. */
    static synchronized JavaClasses main() {
        if (main == null) {
            main = new ClassFileImporter()
                    .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                    .importPackages("io.protobase");
        }
        return main;
    }
}
