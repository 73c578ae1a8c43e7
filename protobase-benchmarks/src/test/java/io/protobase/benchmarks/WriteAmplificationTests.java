package io.protobase.benchmarks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.parallel.Resources;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

@ResourceLock(Resources.SYSTEM_OUT)
@ResourceLock(Resources.SYSTEM_PROPERTIES)
class WriteAmplificationTests {

    @TempDir
    Path stores;

    @Test
    void reportsBytesPerCommitOfBothEnginesForEachWorkloadAndDeletesItsStores() throws Exception {
        String out = ProgramRun.output(stores, WriteAmplification::main, "blobs=3", "blobKb=16", "blobRecords=1,50",
                "blobCommits=3", "size=500", "commits=20");

        assertThat(out).contains("(a) 3 values of 16 KB beside 1 small record, 3 commits:",
                "(a) 3 values of 16 KB beside 50 small records, 3 commits:", "(b) 500 small records, 20 commits:");
        assertThat(out.lines().filter(l -> l.contains("ProtoBase (StandaloneFileStorage, fsync=commit)"))
                .filter(l -> l.contains("atom bytes pushed per commit"))).hasSize(3);
        assertThat(out.lines().filter(l -> l.contains("MVStore (file, 64 MB auto-commit buffer, commit+sync)")))
                .hasSize(3);
        try (Stream<Path> left = Files.list(stores)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void refusesAnUnknownArgumentNamingTheKnownOnes() {
        assertThatIllegalArgumentException().isThrownBy(() -> WriteAmplification.main(new String[] {"comits=5"}))
                .withMessageContaining("unknown argument 'comits=5'").withMessageContaining("commits");
    }
}
