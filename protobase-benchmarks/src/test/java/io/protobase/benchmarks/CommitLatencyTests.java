package io.protobase.benchmarks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.parallel.Resources;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

@ResourceLock(Resources.SYSTEM_OUT)
@ResourceLock(Resources.SYSTEM_PROPERTIES)
class CommitLatencyTests {

    @TempDir
    Path stores;

    @Test
    void reportsThroughputAndPercentilesForEachThreadCount() throws Exception {
        String out = ProgramRun.output(stores, CommitLatency::main, "size=1000", "threads=1,2", "warmup=0",
                "seconds=1", "fsync=none");

        assertThat(out).contains("1 thread, fsync=none, during=none: ", "2 threads, fsync=none, during=none: ");
        assertThat(out.lines().filter(l -> l.contains("p99 ") && l.contains("beside them: nothing"))).hasSize(2);
        assertThat(stores).isEmptyDirectory();
    }

    @Test
    void runsCompactionBesideTheCommitsAndSaysWhatItDid() throws Exception {
        String out = ProgramRun.output(stores, CommitLatency::main, "size=1000", "threads=1", "warmup=0",
                "seconds=1", "fsync=none", "during=compaction", "retention=0");

        assertThat(out).contains("1 thread, fsync=none, during=compaction: ")
                .containsPattern("beside them: \\d+ compaction runs");
        assertThat(stores).isEmptyDirectory();
    }

    @Test
    void refusesBackgroundWorkItDoesNotKnowNamingTheKnownOnes() {
        assertThatIllegalArgumentException().isThrownBy(() -> ProgramRun.output(stores, CommitLatency::main,
                "during=defragmentation")).withMessageContaining("during must be one of [")
                .withMessageContaining("compaction").withMessageContaining("none");
    }
}
