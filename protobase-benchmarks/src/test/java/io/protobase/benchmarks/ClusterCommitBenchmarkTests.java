package io.protobase.benchmarks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.parallel.Resources;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.nio.file.Path;
import java.util.Collection;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the 8-thread methods of {@link ClusterCommitBenchmark} once, in this JVM, on a tiny data set: the three
 * storages (the file store, the cluster, bare Ratis), both modes, the threads spread over the three nodes, and the
 * teardown's check of every thread's last update on every node. A failure in a benchmark's setup, operation or
 * teardown fails the test.
 */
@ResourceLock(Resources.SYSTEM_OUT)
@ResourceLock(Resources.SYSTEM_PROPERTIES)
class ClusterCommitBenchmarkTests {

    private static final String IGNORE_LOCK = "jmh.ignoreLock";

    @TempDir
    Path stores;

    @Test
    void commitsFromEightThreadsOnTheFileStoreAndOnThreeNodesAndFindsEveryLastUpdate() throws Exception {
        String dirBefore = System.getProperty(FileStores.DIR_PROPERTY);
        String lockBefore = System.getProperty(IGNORE_LOCK);
        System.setProperty(FileStores.DIR_PROPERTY, stores.toString());
        // JMH refuses to start while another JMH run on the machine holds its lock file; this run is in-process
        // and short, and a benchmark run elsewhere must not fail the build
        System.setProperty(IGNORE_LOCK, "true");
        Collection<RunResult> results;
        try {
            Options options = new OptionsBuilder().include(ClusterCommitBenchmark.class.getName() + ".*8Threads")
                    .param("size", "400").forks(0).warmupIterations(0).measurementIterations(1)
                    .measurementTime(TimeValue.milliseconds(300)).shouldFailOnError(true)
                    .verbosity(VerboseMode.SILENT).build();
            results = new Runner(options).run();
        } finally {
            restore(FileStores.DIR_PROPERTY, dirBefore);
            restore(IGNORE_LOCK, lockBefore);
        }

        assertThat(results).hasSize(6).allSatisfy(r -> {
            assertThat(r.getParams().getThreads()).isEqualTo(8);
            assertThat(r.getPrimaryResult().getSampleCount()).isPositive();
        });
        assertThat(results)
                .extracting(r -> r.getParams().getParam("storage") + " " + r.getParams().getMode().shortLabel())
                .containsExactlyInAnyOrder("file thrpt", "cluster thrpt", "raft thrpt", "file sample", "cluster sample",
                        "raft sample");
        assertThat(stores).isEmptyDirectory();
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }
}
