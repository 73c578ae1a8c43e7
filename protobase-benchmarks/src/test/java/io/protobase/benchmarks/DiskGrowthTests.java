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
class DiskGrowthTests {

    @TempDir
    Path stores;

    @Test
    void comparesEveryEngineAfterTheCommitsWithAFreshLoadOfTheSameContentAndDeletesItsStores() throws Exception {
        String out = ProgramRun.output(stores, DiskGrowth::main, "size=500", "commits=200",
                "engines=protobase,mvstore,cloud");

        assertThat(out).contains("ProtoBase (StandaloneFileStorage, fsync=none): ",
                "MVStore (file, 64 MB auto-commit buffer, commit() per commit, no sync): ",
                "MVStore (file, 64 MB auto-commit buffer, put only, background auto-commit): ",
                "Cloud (CloudFileStorage, durability=async, S3Proxy in memory): ");
        assertThat(out.lines().filter(l -> l.contains("a fresh load of the final content"))).hasSize(4);
        try (Stream<Path> left = Files.list(stores)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void refusesAnUnknownEngineBeforeBuildingAnything() {
        assertThatIllegalArgumentException().isThrownBy(() -> ProgramRun.output(stores, DiskGrowth::main,
                "engines=protobase,h2")).withMessageContaining("engines must be among").withMessageContaining("h2");
        assertThat(stores).isEmptyDirectory();
    }
}
