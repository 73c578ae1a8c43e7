package io.protobase.benchmarks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.parallel.Resources;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

@ResourceLock(Resources.SYSTEM_OUT)
@ResourceLock(Resources.SYSTEM_PROPERTIES)
class CloudClusterJoinTests {

    @TempDir
    Path stores;

    @Test
    void reportsWhenTheNewNodeServesReadsAndTheBytesItGotFromTheBucketAndFromItsPeers() throws Exception {
        String out = ProgramRun.output(stores, CloudClusterJoin::main, "size=2000", "election=300");

        assertThat(out).contains("size=2000 election=300")
                .containsPattern("node 4 serves reads \\(latest root, one entry\\) after [\\d.,]+ s; by then "
                        + "[\\d.,]+ MB fetched from S3, [\\d.,]+ MB of log entries received from its peers")
                .containsPattern("reading all 2,000 entries on node 4 took [\\d.,]+ s more");
        assertThat(stores).isEmptyDirectory();
    }
}
