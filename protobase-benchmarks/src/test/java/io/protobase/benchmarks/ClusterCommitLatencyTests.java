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
class ClusterCommitLatencyTests {

    @TempDir
    Path stores;

    @Test
    void failoverKillsTheLeadersJvmAndReportsTheTimeToTheNextCommitOnAnotherNode() throws Exception {
        String out = ProgramRun.output(stores, ClusterCommitLatency::main, "size=300", "failovers=2", "stop=kill",
                "election=300");

        assertThat(out.lines().filter(l -> l.startsWith("  round "))).hasSize(2)
                .allSatisfy(l -> assertThat(l).contains(", the leader, killed (SIGKILL, exit status 137); "));
        assertThat(out).contains("part=failover size=300 ")
                .containsPattern("new leader known to the third node after a median of [\\d,]+ ms")
                .containsPattern("failover \\(stop=kill, 2 rounds\\): first commit acknowledged on another node after "
                        + "a median of [\\d,]+ ms \\(min [\\d,]+ ms, max [\\d,]+ ms\\) = [\\d.]+ election timeouts");
        assertThat(stores).isEmptyDirectory();
    }

    @Test
    void rollingRestartReportsTheLongestStallOfEachNodesRestartTheLeaderLast() throws Exception {
        String out = ProgramRun.output(stores, ClusterCommitLatency::main, "part=rolling", "size=300", "warmup=0",
                "election=300");

        assertThat(out.lines().filter(l -> l.contains("  restart of node "))).hasSize(3)
                .satisfiesExactly(l -> assertThat(l).contains("(a follower;"),
                        l -> assertThat(l).contains("(a follower;"), l -> assertThat(l).contains("(the leader;"));
        assertThat(out).containsPattern("rolling restart: longest commit stall [\\d,]+ ms; [\\d,]+ commits "
                + "acknowledged, [\\d,]+ failed");
        assertThat(out).doesNotContain("file store, 1 thread");
        assertThat(stores).isEmptyDirectory();
    }

    @Test
    void catchUpReportsWhenTheNewNodeReadsTheLatestRootAndTheSegmentBytesItReceived() throws Exception {
        String out = ProgramRun.output(stores, ClusterCommitLatency::main, "part=catchup", "size=2000",
                "election=300");

        assertThat(out).contains("part=catchup size=2000 ")
                .containsPattern("catch-up of node 4 \\(2,000 entries, leader's commit index [\\d,]+\\): applied it"
                        + " and read the latest root locally after [\\d.,]+ s; [\\d.,]+ MB of segments received, "
                        + "[\\d.,]+ MB/s");
        assertThat(stores).isEmptyDirectory();
    }

    @Test
    void refusesAStopItDoesNotKnowNamingTheKnownOnes() {
        assertThatIllegalArgumentException().isThrownBy(() -> ProgramRun.output(stores, ClusterCommitLatency::main,
                "stop=pause")).withMessageContaining("stop must be one of [").withMessageContaining("kill")
                .withMessageContaining("close");
    }
}
