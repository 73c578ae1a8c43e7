package io.protobase.storage.cloud;

import io.protobase.CorruptionException;
import io.protobase.storage.AtomPointer;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The content of the root object ({@code <prefix>root}), a small text document specified in
 * {@code docs/cloud.md}: the writer epoch and writer that wrote it, the log it describes, the root
 * pointer with its sequence number, and how far that log is uploaded.
 *
 * @param epoch writer epoch; each opening writer claims the next one
 * @param writer unique id of the writing process (also in the object metadata)
 * @param log id of the local log whose bytes {@code uploaded} counts
 * @param sequence sequence number of {@code root}
 * @param root the current root, or {@code null}
 * @param uploadedSegment segment of the upload watermark
 * @param uploadedOffset offset of the upload watermark: the log is in the bucket below it
 */
record RootObject(long epoch, String writer, String log, long sequence, AtomPointer root, long uploadedSegment,
        long uploadedOffset) {

    static final String HEADER = "protobase-cloud-root 1";

    byte[] toBytes() {
        String text = HEADER + "\n"
                + "epoch=" + epoch + "\n"
                + "writer=" + writer + "\n"
                + "log=" + log + "\n"
                + "sequence=" + sequence + "\n"
                + "root=" + (root == null ? "none" : root.segmentId() + ":" + root.offset()) + "\n"
                + "uploaded=" + uploadedSegment + ":" + uploadedOffset + "\n"
                + "time=" + System.currentTimeMillis() + "\n";
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static RootObject parse(byte[] bytes, String key) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        String[] lines = text.split("\n");
        if (lines.length == 0 || !lines[0].equals(HEADER)) {
            throw new CorruptionException("The root object " + key + " is not a ProtoBase cloud root (or was written by "
                    + "a newer ProtoBase: first line '" + (lines.length == 0 ? "" : lines[0]) + "')");
        }
        Map<String, String> f = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int eq = lines[i].indexOf('=');
            if (eq > 0) {
                f.put(lines[i].substring(0, eq), lines[i].substring(eq + 1));
            }
        }
        try {
            String root = f.get("root");
            long[] up = pair(f.get("uploaded"));
            return new RootObject(Long.parseLong(f.get("epoch")), require(f, "writer"), require(f, "log"),
                    Long.parseLong(f.get("sequence")),
                    root == null || root.equals("none") ? null : new AtomPointer(pair(root)[0], pair(root)[1]),
                    up[0], up[1]);
        } catch (RuntimeException e) {
            throw new CorruptionException("The root object " + key + " is damaged: " + e.getMessage());
        }
    }

    private static String require(Map<String, String> f, String name) {
        String v = f.get(name);
        if (v == null || v.isEmpty()) {
            throw new IllegalArgumentException("no " + name);
        }
        return v;
    }

    private static long[] pair(String s) {
        int c = s.indexOf(':');
        return new long[] {Long.parseLong(s.substring(0, c)), Long.parseLong(s.substring(c + 1))};
    }
}
