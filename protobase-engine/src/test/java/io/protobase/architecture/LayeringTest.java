package io.protobase.architecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import io.protobase.ProtoBaseException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The engine's layers, from the bottom: {@code storage} (bytes and the pointers that address them),
 * {@code codec} (the byte format of values, pointers included), {@code index} (index definitions and
 * key extraction), {@code collection} (persistent collections over atoms), {@code query}, and the root
 * package (object space, databases, transactions, and the exceptions every layer may throw). Each
 * layer uses only the ones below it and the root package's exceptions, which use nothing of the
 * engine but one another: a leaf under every layer, though they live in the package users import.
 */
class LayeringTest {

    /** The exceptions of the root package: a layer of their own, under all the others. */
    private static final DescribedPredicate<JavaClass> ROOT_EXCEPTIONS = resideInAPackage("io.protobase")
            .and(assignableTo(ProtoBaseException.class)).as("are exceptions of io.protobase");

    /**
     * The slices of the cycle check: each package under {@code io.protobase} with its subpackages, and
     * the root package split in two, its exceptions and the rest.
     */
    private static final SliceAssignment LAYERS = new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass c) {
            String pkg = c.getPackageName();
            if (pkg.equals("io.protobase")) {
                return SliceIdentifier.of(ROOT_EXCEPTIONS.test(c) ? "io.protobase exceptions" : "io.protobase");
            }
            if (pkg.startsWith("io.protobase.")) {
                return SliceIdentifier.of("io.protobase." + pkg.substring("io.protobase.".length()).split("\\.")[0]);
            }
            return SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
            return "the layers of the engine, the root package's exceptions apart";
        }
    };

    private static JavaClasses engine;

    @BeforeAll
    static void importEngine() {
        engine = EngineClasses.main();
    }

    @Test
    void layersOfTheEngineFormNoCycleTheRootPackageIncluded() {
        slices().assignedFrom(LAYERS).should().beFreeOfCycles().check(engine);
    }

    @Test
    void lowerLayersUseNothingOfTheRootPackageButItsExceptions() {
        noClasses().that().resideInAnyPackage("io.protobase.storage..", "io.protobase.codec..", "io.protobase.index..",
                        "io.protobase.collection..")
                .should().dependOnClassesThat(
                        resideInAPackage("io.protobase").and(DescribedPredicate.not(ROOT_EXCEPTIONS))
                                .as("reside in package 'io.protobase' and are not its exceptions"))
                .because("the root package is the top layer; only its exceptions are the vocabulary of every layer")
                .check(engine);
    }

    @Test
    void theRootPackagesExceptionsUseNothingOfTheEngineButOneAnother() {
        classes().that(ROOT_EXCEPTIONS)
                .should().onlyDependOnClassesThat(resideOutsideOfPackage("io.protobase..").or(ROOT_EXCEPTIONS)
                        .as("reside outside of the engine or are exceptions of io.protobase"))
                .because("every layer throws them, so they must sit below every layer")
                .check(engine);
    }

    @Test
    void onlyTheRootPackageAndTheCollectionLayerUseTheInternalPackages() {
        noClasses().that().resideOutsideOfPackages("io.protobase", "io.protobase.collection..")
                .should().dependOnClassesThat().resideInAPackage("io.protobase..internal..")
                .because("an internal package is the plumbing between the collection layer and the object space,"
                        + " not API (see package-info)")
                .check(engine);
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
    void theCloudStorageUsesNothingOfTheClusterStorage() {
        noClasses().that().resideInAPackage("io.protobase.storage.cloud..")
                .should().dependOnClassesThat().resideInAPackage("io.protobase.storage.cluster..")
                .because("the cloud cluster storage builds on the cloud storage's object layout and root-object"
                        + " writer, not the other way round; a single-node cloud storage carries no Raft")
                .check(engine);
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
