package io.protobase.storage.file;

import io.protobase.StorageLockedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Exclusive ownership of a storage directory across processes. */
class DirectoryLockTest {

    @TempDir
    Path dir;

    @Test
    void anotherProcessHoldingTheDirectoryIsNamedByPidAndItsDeathReleasesIt() throws Exception {
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), CrashingWriterMain.class.getName(), dir.toString(), "7")
                .redirectErrorStream(true)
                .start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            do {
                line = out.readLine();
            } while (line != null && !line.equals("ready"));
            assertThat(line).as("child output").isEqualTo("ready");

            assertThatThrownBy(() -> new StandaloneFileStorage(new FileBlockProvider(dir)))
                    .isInstanceOf(StorageLockedException.class)
                    .hasMessageContaining(dir.toAbsolutePath().toString())
                    .hasMessageContaining("another process")
                    .hasMessageContaining("PID " + child.pid());
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(1, TimeUnit.MINUTES)).isTrue();
        }
        try (StandaloneFileStorage reopened = new StandaloneFileStorage(new FileBlockProvider(dir))) {
            assertThat(reopened.readRoot()).isNotNull();
        }
    }
}
