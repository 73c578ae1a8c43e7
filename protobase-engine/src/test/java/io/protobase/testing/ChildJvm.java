package io.protobase.testing;

import org.awaitility.core.ConditionTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/**
 * A child JVM for crash tests: runs a main class of the test classpath with its output in files,
 * lets the test wait for what it printed, and kills it with SIGKILL
 * ({@link Process#destroyForcibly()}), so that the test can reopen what it left and check it. The
 * child prints {@code ready} once it opened its storage and then one acknowledged counter per
 * line ({@link Acks}).
 */
public final class ChildJvm {

    /** The exit status of a process killed with SIGKILL. */
    public static final int KILLED = 128 + 9;

    private static final Logger LOG = LoggerFactory.getLogger(ChildJvm.class);

    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private ChildJvm(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * Starts {@code mainClass} in a new JVM on this JVM's classpath, with C1 only (it starts faster)
     * and the given heap.
     *
     * @param stdout the file its standard output goes to
     * @param stderr the file its standard error goes to
     * @param maxHeap the {@code -Xmx} value, such as {@code 128m}
     * @param mainClass the class whose {@code main} runs
     * @param args the arguments of {@code main}
     * @return the running child
     * @throws IOException when the JVM cannot be started
     */
    public static ChildJvm start(Path stdout, Path stderr, String maxHeap, Class<?> mainClass, String... args)
            throws IOException {
        String[] command = new String[6 + args.length];
        command[0] = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        command[1] = "-Xmx" + maxHeap;
        command[2] = "-XX:TieredStopAtLevel=1";
        command[3] = "-cp";
        command[4] = System.getProperty("java.class.path");
        command[5] = mainClass.getName();
        System.arraycopy(args, 0, command, 6, args.length);
        Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .start();
        return new ChildJvm(process, stdout, stderr);
    }

    /** Its process id. */
    public long pid() {
        return process.pid();
    }

    /** Whether it still runs. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits until {@code condition} holds or the child died, polling every {@code pollInterval}.
     *
     * @param atMost how long to wait before failing the test
     * @param pollInterval how often to check: the kill lands within about that much after the condition
     * @param condition what the test waits for
     */
    public void awaitOrDeath(Duration atMost, Duration pollInterval, Callable<Boolean> condition) {
        await().atMost(atMost).pollDelay(Duration.ZERO).pollInterval(pollInterval)
                .until(() -> condition.call() || !process.isAlive());
    }

    /**
     * Waits until the child printed the line {@code ready}, or it died. When it did neither within
     * {@code atMost}, logs the thread dump of every one of {@code running} still alive (this child among
     * them, as a rule) and fails with {@code who}, so that the report shows where each process was.
     *
     * @param atMost how long to wait
     * @param who the child, as the failure names it (a node, with the test's seed)
     * @param running the children whose threads explain a failure
     */
    public void awaitReady(Duration atMost, String who, Iterable<ChildJvm> running) {
        try {
            awaitOrDeath(atMost, Duration.ofMillis(20), () -> output().lines().anyMatch("ready"::equals));
        } catch (ConditionTimeoutException e) {
            for (ChildJvm jvm : running) {
                if (jvm.isAlive()) {
                    LOG.error("{} not ready within {}; threads of process {}:\n{}", who, atMost, jvm.pid(),
                            jvm.threadDump());
                }
            }
            throw new AssertionError(who + " did not print ready within " + atMost + "; its last line of stderr: "
                    + errors().lines().reduce((a, b) -> b).orElse("none"), e);
        }
    }

    /**
     * Waits until what the child printed satisfies {@code condition}, or it died; polls every 2 ms.
     *
     * @param atMost how long to wait before failing the test
     * @param condition what the test waits for
     */
    public void awaitAcks(Duration atMost, Predicate<Acks> condition) {
        awaitOrDeath(atMost, Duration.ofMillis(2), () -> condition.test(acks()));
    }

    /**
     * Kills it with SIGKILL (it may have died already) and waits until it is gone.
     *
     * @throws InterruptedException when interrupted while waiting
     */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** Its exit status, once it ended ({@link #KILLED} after {@link #kill()} found it running). */
    public int exitValue() {
        return process.exitValue();
    }

    /**
     * Its threads' stacks now ({@code jcmd <pid> Thread.print}), for the report of a test that waited for
     * it in vain; what went wrong instead when the dump could not be taken.
     */
    public String threadDump() {
        try {
            Path out = Files.createTempFile("thread-dump-", ".txt");
            try {
                Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        Long.toString(process.pid()), "Thread.print").redirectErrorStream(true)
                        .redirectOutput(out.toFile()).start();
                if (!jcmd.waitFor(30, TimeUnit.SECONDS)) {
                    jcmd.destroyForcibly();
                    return "jcmd did not end within 30 s: " + Files.readString(out, StandardCharsets.UTF_8);
                }
                return Files.readString(out, StandardCharsets.UTF_8);
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            return "no thread dump: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "no thread dump: interrupted";
        }
    }

    /** What it printed so far (complete lines only). */
    public Acks acks() {
        return Acks.parse(output());
    }

    /** Its standard output so far. */
    public String output() {
        return read(stdout);
    }

    /** Its standard error so far. */
    public String errors() {
        return read(stderr);
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.US_ASCII) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What a crash-test child printed: {@code ready}, then one acknowledged counter per line.
     *
     * @param ready whether it printed {@code ready}
     * @param count how many counters it printed
     * @param last the last counter it printed, 0 when none
     */
    public record Acks(boolean ready, int count, long last) {

        /**
         * Reads the complete lines of {@code text}.
         *
         * @param text a child's output
         * @return what it acknowledged
         */
        public static Acks parse(String text) {
            boolean ready = false;
            int count = 0;
            long last = 0;
            int from = 0;
            for (int nl; (nl = text.indexOf('\n', from)) >= 0; from = nl + 1) {
                String line = text.substring(from, nl).trim();
                if (line.equals("ready")) {
                    ready = true;
                } else if (!line.isEmpty()) {
                    last = Long.parseLong(line);
                    count++;
                }
            }
            return new Acks(ready, count, last);
        }
    }
}
