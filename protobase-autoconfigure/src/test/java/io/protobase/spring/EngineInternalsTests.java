package io.protobase.spring;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The Spring modules (auto-configuration, Spring Data, transactions, health, metrics) are clients of
 * the engine like any application: they use its API, never its internal packages, which carry no
 * compatibility promise.
 */
class EngineInternalsTests {

    @Test
    void theSpringModulesUseNoInternalPackageOfTheEngine() {
        noClasses().should().dependOnClassesThat().resideInAPackage("io.protobase..internal..")
                .because("an engine's internal package is not API and may change in any release")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("io.protobase.spring"));
    }
}
