package io.protobase.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Runs a space program's {@code main} with its stores under a given directory and returns what it printed. The
 * programs print to {@code System.out} and read {@value FileStores#DIR_PROPERTY}, so the tests that use this hold
 * JUnit's locks on both.
 */
final class ProgramRun {

    /** A program's {@code main}. */
    @FunctionalInterface
    interface Main {
        void run(String[] args) throws Exception;
    }

    private ProgramRun() {
    }

    static String output(Path storesDir, Main main, String... args) throws Exception {
        PrintStream console = System.out;
        String dirBefore = System.getProperty(FileStores.DIR_PROPERTY);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setProperty(FileStores.DIR_PROPERTY, storesDir.toString());
        try (PrintStream capture = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            main.run(args);
        } finally {
            System.setOut(console);
            if (dirBefore == null) {
                System.clearProperty(FileStores.DIR_PROPERTY);
            } else {
                System.setProperty(FileStores.DIR_PROPERTY, dirBefore);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
