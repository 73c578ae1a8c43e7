package io.protobase;

import io.protobase.storage.SharedStorage;
import io.protobase.storage.cluster.TestCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The concurrency workloads on a three-node cluster storage, one object space per node: workload
 * thread {@code t} commits through node {@code t % 3}, so transfers, increments and write skew race
 * across nodes and the compare-and-set in the Raft log decides between them. The setup and the final
 * checks go through node 1, whose linearizable reads see every commit acknowledged on any node.
 *
 * <p>The commit lock is node-local, so only the compare-and-set in the log arbitrates between nodes: under
 * the bank's load a node can lose it more often in a row than the rebases the commit pipeline allows, and
 * the commit then fails with {@link CommitContentionException}, a {@link ConflictException} that
 * {@link Database#write} retries (see docs/cluster.md, "Fairness between nodes"). Not rerun here: the
 * node-cache test, which is about one object space's cache and commits 12,800 times through it.
 */
@Tag("slow")
class ConcurrencyOnClusterTest extends ConcurrencyTest {

    private static final Logger LOG = LoggerFactory.getLogger(ConcurrencyOnClusterTest.class);

    // no initialisers: both are set while the superclass constructs its object space on node 1
    private TestCluster cluster;
    private List<ObjectSpace> otherNodes;

    @Override
    SharedStorage createStorage() {
        cluster = TestCluster.start(3);
        return cluster.node(1);
    }

    @BeforeEach
    void openOtherNodes() {
        otherNodes = List.of(new ObjectSpace(cluster.node(2)), new ObjectSpace(cluster.node(3)));
    }

    @AfterEach
    void closeOtherNodes(TestInfo test) {
        LOG.info("{} on three nodes: {} conflicts", test.getDisplayName(), conflicts());
        otherNodes.forEach(ObjectSpace::close);
    }

    @Override
    Database database(int thread) {
        int node = thread % 3;
        return node == 0 ? super.database(thread) : otherNodes.get(node - 1).getDatabase("db");
    }

    @Override
    long conflicts() {
        return super.conflicts() + otherNodes.stream().mapToLong(s -> s.statistics().conflicts()).sum();
    }

    /** Not rerun on the cluster: see the class comment. */
    @Override
    void commitsRebasedOntoConcurrentOnesLeaveNoUnpublishedVersionsInTheNodeCache() {
    }
}
