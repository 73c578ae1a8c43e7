package io.protobase.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The engine's layers, from the bottom: {@code storage} (bytes and the pointers that address them),
 * {@code codec} (the byte format of values, pointers included), {@code index} (index definitions and
 * key extraction), {@code collection} (persistent collections over atoms), {@code query}, and the root
 * package (object space, databases, transactions, and the exceptions every layer may throw). Each
 * layer uses only the ones below it and the root package's exceptions.
 */
class LayeringTest {

    private static JavaClasses engine;

    @BeforeAll
    static void importEngine() {
        engine = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.protobase");
    }

    @Test
    void packagesOfTheEngineFormNoCycle() {
        slices().matching("io.protobase.(*)..").should().beFreeOfCycles().check(engine);
    }

    @Test
    void theEngineNeverUsesSpring() {
        noClasses().should().dependOnClassesThat().resideInAPackage("org.springframework..").check(engine);
    }

    @Test
    void theCodecUsesNoLayerAboveIt() {
        below("codec", "index", "collection", "query").check(engine);
    }

    @Test
    void storageKnowsBytesAndPointersOnly() {
        below("storage", "codec", "index", "collection", "query").check(engine);
    }

    @Test
    void indexDefinitionsUseTheCodecOnly() {
        below("index", "storage", "collection", "query").check(engine);
    }

    @Test
    void collectionsDoNotDependOnQueries() {
        below("collection", "query").check(engine);
    }

    /** Classes of {@code layer} use none of {@code forbidden} (sibling or upper layers). */
    static ArchRule below(String layer, String... forbidden) {
        String[] packages = new String[forbidden.length];
        for (int i = 0; i < forbidden.length; i++) {
            packages[i] = "io.protobase." + forbidden[i] + "..";
        }
        return noClasses().that().resideInAPackage("io.protobase." + layer + "..")
                .should().dependOnClassesThat().resideInAnyPackage(packages)
                .as("io.protobase." + layer + " uses none of " + String.join(", ", forbidden));
    }
}
