package io.protobase.sample;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** The sample shows how an application uses ProtoBase: through its API, never its internal packages. */
class EngineInternalsTests {

    @Test
    void theSampleUsesNoInternalPackageOfTheEngine() {
        noClasses().should().dependOnClassesThat().resideInAPackage("io.protobase..internal..")
                .because("an engine's internal package is not API and may change in any release")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("io.protobase.sample"));
    }
}
