package io.protobase.storage.cluster;

import io.protobase.StorageException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Collectors;

/**
 * What a node directory says about the node before its storage opens: the node id recorded by
 * {@link ClusterFileStorage} ({@value ClusterFileStorage#NODE_FILE}), and the id a node whose directory
 * was lost took in place of its configured one ({@value HazelcastMembership#ASSIGNED_FILE}), so that it
 * keeps that id when it restarts with the same settings.
 */
final class NodeDirectory {

    private NodeDirectory() {
    }

    /** The node id recorded in {@code directory}; empty when no node ever ran there. */
    static OptionalInt recordedNodeId(Path directory) {
        Map<String, String> values = read(directory.resolve(ClusterFileStorage.NODE_FILE));
        return values == null ? OptionalInt.empty() : OptionalInt.of(number(values, "node", directory));
    }

    /** The id this directory's node took in place of {@code configured}; empty when it took none. */
    static OptionalInt assignedInPlaceOf(Path directory, int configured) {
        Map<String, String> values = read(directory.resolve(HazelcastMembership.ASSIGNED_FILE));
        if (values == null || number(values, "configured", directory) != configured) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(number(values, "node", directory));
    }

    /**
     * Records durably, before the node's storage opens, that it runs as {@code nodeId} in place of
     * {@code configured}.
     */
    static void recordAssigned(Path directory, int configured, int nodeId) {
        Path file = directory.resolve(HazelcastMembership.ASSIGNED_FILE);
        try {
            Files.createDirectories(directory);
            Path tmp = directory.resolve(HazelcastMembership.ASSIGNED_FILE + ".tmp");
            Files.writeString(tmp, "configured=" + configured + "\nnode=" + nodeId + "\n", StandardCharsets.UTF_8);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new StorageException("Cannot record in " + file + " that cluster node " + configured
                    + " runs as node " + nodeId + ": " + e.getMessage() + "; check the directory and its permissions",
                    e);
        }
    }

    private static Map<String, String> read(Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> l.contains("="))
                    .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1),
                            (a, b) -> b));
        } catch (IOException e) {
            throw new StorageException("Cannot read " + file + ": " + e.getMessage()
                    + "; check the node directory and its permissions", e);
        }
    }

    private static int number(Map<String, String> values, String key, Path directory) {
        try {
            return Integer.parseInt(values.getOrDefault(key, "-1"));
        } catch (NumberFormatException e) {
            throw new StorageException("The node file in " + directory + " has no valid '" + key + "' ("
                    + values.get(key) + "); restore it or start the node with an empty directory under a new id", e);
        }
    }
}
