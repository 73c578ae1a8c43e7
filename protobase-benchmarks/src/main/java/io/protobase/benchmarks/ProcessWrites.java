package io.protobase.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Bytes this JVM has handed to {@code write}-family system calls so far: the {@code wchar} counter of Linux's
 * {@code /proc/self/io}, summed over every thread of the process, dead ones included. The space programs
 * ({@link WriteAmplification}) read it before and after a run of commits to count what each engine writes to its
 * files, from outside the engine and the same way for every engine: ProtoBase's log appends (and the zeros it
 * preallocates ahead of them), MVStore's chunks and file header, and everything either writes from a background
 * thread. It also counts writes to pipes and sockets, so a program reading it prints nothing between the two
 * reads and talks to no network. Unavailable (a negative value) off Linux.
 */
final class ProcessWrites {

    private static final Path PROC_IO = Path.of("/proc/self/io");

    private ProcessWrites() {
    }

    /** Whether the counter can be read on this system. */
    static boolean available() {
        return Files.isReadable(PROC_IO);
    }

    /** The process's {@code wchar} so far, or {@code -1} when {@link #available()} is false. */
    static long bytes() {
        if (!available()) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(PROC_IO)) {
                if (line.startsWith("wchar:")) {
                    return Long.parseLong(line.substring("wchar:".length()).trim());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + PROC_IO, e);
        }
        throw new IllegalStateException(PROC_IO + " has no wchar line");
    }
}
