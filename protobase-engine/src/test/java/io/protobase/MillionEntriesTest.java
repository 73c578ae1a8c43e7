package io.protobase;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A dictionary of 1,000,000 records built and committed in one transaction fits a 1 GiB heap
 * (a goal of the engine: a large build never needs a heap many times its data). Runs {@link MillionEntriesMain} in a
 * child JVM with {@code -Xmx1g}, so the bound holds whatever heap the test JVM has.
 */
@Tag("slow")
class MillionEntriesTest {

    @Test
    void millionEntriesInOneTransactionFitInAOneGigabyteHeap() throws Exception {
        Path output = Files.createTempFile("protobase-million", ".log");
        try {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process child = new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                    MillionEntriesMain.class.getName())
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .start();
            boolean finished = child.waitFor(5, TimeUnit.MINUTES);
            if (!finished) {
                child.destroyForcibly().waitFor();
            }
            List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
            lines.forEach(l -> System.out.println("[child] " + l));

            assertThat(finished).as("child finished; its output:%n%s", String.join(System.lineSeparator(), lines))
                    .isTrue();
            assertThat(child.exitValue()).as("exit code; output:%n%s", String.join(System.lineSeparator(), lines))
                    .isZero();
            assertThat(lines).contains("OK 1000000");
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
