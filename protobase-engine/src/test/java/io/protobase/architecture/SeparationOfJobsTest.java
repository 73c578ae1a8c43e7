package io.protobase.architecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaFieldAccess;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import io.protobase.TransactionEvent;
import io.protobase.TransactionListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * Jobs that once braided into one class stay in the class that owns them: publishing the space root
 * is the commit pipeline's, what makes a tree node the atom it was saved as is the node's own, the
 * object space's bookkeeping of transactions (the ones bound to a thread, the ones running) is in
 * classes of its own, not in the facade, and in the cloud storage the root object's ETag chain is the
 * root-object writer's and deleting objects is the garbage collector's.
 */
class SeparationOfJobsTest {

    private static final String COMMIT_PIPELINE = "io.protobase.CommitPipeline";
    private static final String NODE = "io.protobase.collection.Node";
    private static final String OBJECT_STORE = "io.protobase.storage.cloud.ObjectStore";
    private static final String ROOT_OBJECT_WRITER = "io.protobase.storage.cloud.RootObjectWriter";
    private static final String CHUNK_COLLECTOR = "io.protobase.storage.cloud.ChunkCollector";
    /** The deleting half of the garbage collector, shared by the cloud and the cloud cluster storages. */
    private static final String CHUNK_SWEEPER = "io.protobase.storage.cloud.ChunkSweeper";
    private static final String THREAD_BINDINGS = "io.protobase.ThreadBindings";
    private static final String REFERENCE_GUARD = "io.protobase.ReferenceGuard";
    private static final String OPEN_TRANSACTIONS = "io.protobase.OpenTransactions";
    /** The fields a node sets once it is saved or decoded ({@code Node.stored}). */
    private static final Set<String> STORED_STATE = Set.of("pointer", "atom", "offsets", "kindTag", "detachedVals",
            "weight", "base");

    private static JavaClasses engine;

    @BeforeAll
    static void importEngine() {
        engine = EngineClasses.main();
    }

    @Test
    void onlyTheCommitPipelinePublishesTheSpaceRoot() {
        DescribedPredicate<JavaMethodCall> rootPublication = new DescribedPredicate<>(
                "SharedStorage.compareAndSetRootPipelined") {
            @Override
            public boolean test(JavaMethodCall call) {
                return call.getName().equals("compareAndSetRootPipelined");
            }
        };
        noClasses().that().resideInAnyPackage("io.protobase", "io.protobase.collection..", "io.protobase.query..",
                        "io.protobase.index..")
                .and().doNotHaveFullyQualifiedName(COMMIT_PIPELINE)
                .should().callMethodWhere(rootPublication)
                .because("commits, catalog changes and compaction publish through the group-commit pipeline")
                .check(engine);
    }

    @Test
    void onlyANodeRecordsWhichAtomItIsStoredAs() {
        DescribedPredicate<JavaFieldAccess> storedState = new DescribedPredicate<>("the stored state of a Node") {
            @Override
            public boolean test(JavaFieldAccess access) {
                return access.getTargetOwner().getFullName().equals(NODE)
                        && STORED_STATE.contains(access.getName());
            }
        };
        noClasses().that().doNotHaveFullyQualifiedName(NODE)
                .should().setFieldWhere(storedState)
                .because("a node becomes the atom it was saved as or decoded from in one place, Node.stored")
                .check(engine);
    }

    @Test
    void onlyTheRootObjectWriterReplacesTheRootObject() {
        noClasses().that().doNotHaveFullyQualifiedName(ROOT_OBJECT_WRITER)
                .and().areNotAssignableTo(OBJECT_STORE)
                .should().callMethodWhere(objectStoreCall("putIfMatch"))
                .because("the root object is the only object replaced, conditionally on the ETag this writer last "
                        + "wrote; a second writer of that chain would break fencing (docs/cloud.md)")
                .check(engine);
    }

    @Test
    void onlyTheThreadBindingsKeepTransactionsPerThread() {
        noClasses().that().resideInAPackage("io.protobase")
                .and().haveNameNotMatching(withNested(THREAD_BINDINGS) + "|" + withNested(REFERENCE_GUARD))
                .should().dependOnClassesThat().areAssignableTo(ThreadLocal.class)
                .because("state per thread is either a transaction bound to it (ThreadBindings) or the context"
                        + " of the commit it runs (ReferenceGuard); anything else per thread is a new job")
                .check(engine);
    }

    @Test
    void onlyTheGarbageCollectorDeletesObjectsFromTheBucket() {
        noClasses().that().doNotHaveFullyQualifiedName(CHUNK_COLLECTOR)
                .and().doNotHaveFullyQualifiedName(CHUNK_SWEEPER)
                .and().areNotAssignableTo(OBJECT_STORE)
                .should().callMethodWhere(objectStoreCall("delete"))
                .because("a chunk may be deleted only once no root object a reader may hold reaches it, which "
                        + "the garbage collector's lists and grace decide")
                .check(engine);
    }

    /** A call of {@code ObjectStore.<name>} (an implementation's own delegation is not one). */
    private static DescribedPredicate<JavaMethodCall> objectStoreCall(String name) {
        return new DescribedPredicate<>("ObjectStore." + name) {
            @Override
            public boolean test(JavaMethodCall call) {
                return call.getName().equals(name) && call.getTargetOwner().isAssignableTo(OBJECT_STORE);
            }
        };
    }

    @Test
    void onlyTheOpenTransactionsTellTheListenersThatATransactionEnded() {
        noClasses().that().doNotHaveFullyQualifiedName(OPEN_TRANSACTIONS)
                .should().callMethod(TransactionListener.class, "transactionEnded", TransactionEvent.class)
                .because("a transaction's end is counted for a graceful close and reported in one place")
                .check(engine);
    }

    /** A pattern matching the class named {@code name} and the classes nested in it. */
    private static String withNested(String name) {
        return java.util.regex.Pattern.quote(name) + "(\\$.*)?";
    }
}
