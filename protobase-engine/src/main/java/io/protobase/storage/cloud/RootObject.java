package io.protobase.storage.cloud;

import io.protobase.CorruptionException;
import io.protobase.storage.AtomPointer;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;

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
 * @param segments the segments whose chunks this root may reach (live), or {@code null} when the
 *                 root was written before the storage kept that list (then every segment in the
 *                 bucket counts as live)
 * @param released segments no root since this one reaches, with the time (epoch millis, the
 *                 writer's clock) the first root that dropped them was written; their chunks are
 *                 deleted once the garbage-collection grace has passed since then
 * @param cluster the id of the cloud cluster that writes the prefix, or {@code null} for a
 *                single-node cloud storage
 * @param lengths for a cloud cluster: each live segment's length in the bucket (a cluster has many
 *                growing segments, not one log with one watermark); {@code null} otherwise
 * @param term for a cloud cluster: the Raft term of the log entry at index {@code sequence} of the
 *             history {@code log} names, or -1 when this root does not tell it (a single-node storage, a
 *             root of another history claimed by a new one, a root of an older version)
 * @param lastPublished for a cloud cluster whose {@code term} is known: the root each node had published
 *                      last at that index, by node id (how a commit sent twice is recognised); {@code null}
 *                      otherwise
 * @param reclaim for a cloud cluster whose {@code term} is known: the state of its space reclamation at that
 *                index (condemned and gone segments, in the cluster's own text form), which a node that starts
 *                there takes over; when the term is not known, only the gone segments (the condemnations belong
 *                to a log index), which a cluster restored from this root must not read or reuse; empty otherwise
 */
public record RootObject(long epoch, String writer, String log, long sequence, AtomPointer root, long uploadedSegment,
        long uploadedOffset, NavigableSet<Long> segments, NavigableMap<Long, Long> released, String cluster,
        NavigableMap<Long, Long> lengths, long term, NavigableMap<Integer, AtomPointer> lastPublished,
        String reclaim) {

    public RootObject {
        segments = segments == null ? null : new TreeSet<>(segments);
        released = new TreeMap<>(released == null ? Map.of() : released);
        lengths = lengths == null ? null : new TreeMap<>(lengths);
        lastPublished = lastPublished == null ? null : new TreeMap<>(lastPublished);
        reclaim = reclaim == null ? "" : term < 0 ? goneOnly(reclaim) : reclaim;
    }

    /**
     * The gone segments of a {@code reclaim=} text ({@code condemned;gone}) without its condemnations: what stays
     * true under another history, where the condemnations' log indexes mean nothing.
     */
    private static String goneOnly(String reclaim) {
        int semi = reclaim.indexOf(';');
        return semi < 0 || semi == reclaim.length() - 1 ? "" : reclaim.substring(semi);
    }

    /** A root object without the state of a cluster's space reclamation. */
    public RootObject(long epoch, String writer, String log, long sequence, AtomPointer root, long uploadedSegment,
            long uploadedOffset, NavigableSet<Long> segments, NavigableMap<Long, Long> released, String cluster,
            NavigableMap<Long, Long> lengths, long term, NavigableMap<Integer, AtomPointer> lastPublished) {
        this(epoch, writer, log, sequence, root, uploadedSegment, uploadedOffset, segments, released, cluster,
                lengths, term, lastPublished, "");
    }

    /** A root object that names no Raft index of a cloud cluster's log (term -1). */
    public RootObject(long epoch, String writer, String log, long sequence, AtomPointer root, long uploadedSegment,
            long uploadedOffset, NavigableSet<Long> segments, NavigableMap<Long, Long> released, String cluster,
            NavigableMap<Long, Long> lengths) {
        this(epoch, writer, log, sequence, root, uploadedSegment, uploadedOffset, segments, released, cluster,
                lengths, -1, null);
    }

    /** The root object of a single-node cloud storage (no cluster id, no per-segment lengths). */
    RootObject(long epoch, String writer, String log, long sequence, AtomPointer root, long uploadedSegment,
            long uploadedOffset, NavigableSet<Long> segments, NavigableMap<Long, Long> released) {
        this(epoch, writer, log, sequence, root, uploadedSegment, uploadedOffset, segments, released, null, null);
    }

    /**
     * The root object of a cloud cluster: its segments are the keys of {@code lengths}; the single
     * watermark of a log is not used (0:0).
     */
    public static RootObject ofCluster(String cluster, long epoch, String writer, String log, long sequence,
            AtomPointer root, NavigableMap<Long, Long> lengths) {
        return ofCluster(cluster, epoch, writer, log, sequence, -1, root, lengths, null);
    }

    /**
     * The root object of a cloud cluster naming the state after log index {@code sequence} (of term
     * {@code term}) of the history {@code log}: with the roots each node published last, a node can start
     * from it at that index (docs/cloud.md, "Joining from the bucket").
     */
    public static RootObject ofCluster(String cluster, long epoch, String writer, String log, long sequence, long term,
            AtomPointer root, NavigableMap<Long, Long> lengths, NavigableMap<Integer, AtomPointer> lastPublished) {
        return ofCluster(cluster, epoch, writer, log, sequence, term, root, lengths, lastPublished, "");
    }

    /** As the one above, with the state of the cluster's space reclamation at index {@code sequence}. */
    public static RootObject ofCluster(String cluster, long epoch, String writer, String log, long sequence, long term,
            AtomPointer root, NavigableMap<Long, Long> lengths, NavigableMap<Integer, AtomPointer> lastPublished,
            String reclaim) {
        return new RootObject(epoch, writer, log, sequence, root, 0, 0, new TreeSet<>(lengths.keySet()), null, cluster,
                lengths, term, term < 0 ? null : lastPublished == null ? new TreeMap<>() : lastPublished, reclaim);
    }

    /** The same root with other live and released segments. */
    public RootObject withSegments(NavigableSet<Long> live, NavigableMap<Long, Long> releasedAt) {
        return new RootObject(epoch, writer, log, sequence, root, uploadedSegment, uploadedOffset, live, releasedAt,
                cluster, lengths, term, lastPublished, reclaim);
    }

    /**
     * The same content under another epoch, writer and history: what a new writer of a cloud cluster claims.
     * Under another history the Raft term is dropped: {@code sequence} is an index of the old history's log;
     * of the state of space reclamation only the gone segments stay (a cluster restored from the claimed root
     * before the new history published one of its own must still know them: their chunks may be deleted).
     */
    public RootObject claimedBy(long newEpoch, String newWriter, String newLog) {
        boolean sameLog = newLog.equals(log);
        return new RootObject(newEpoch, newWriter, newLog, sequence, root, uploadedSegment, uploadedOffset, segments,
                released, cluster, lengths, sameLog ? term : -1, sameLog ? lastPublished : null, reclaim);
    }

    static final String HEADER = "protobase-cloud-root 1";

    byte[] toBytes() {
        String text = HEADER + "\n"
                + "epoch=" + epoch + "\n"
                + "writer=" + writer + "\n"
                + "log=" + log + "\n"
                + "sequence=" + sequence + "\n"
                + "root=" + (root == null ? "none" : root.segmentId() + ":" + root.offset()) + "\n"
                + "uploaded=" + uploadedSegment + ":" + uploadedOffset + "\n"
                + (segments == null ? "" : "segments=" + ranges(segments) + "\n")
                + (released.isEmpty() ? "" : "released=" + releasedList() + "\n")
                + (cluster == null ? "" : "cluster=" + cluster + "\n")
                + (lengths == null ? "" : "lengths=" + lengthList() + "\n")
                + (term < 0 ? "" : "term=" + term + "\n")
                + (term < 0 || lastPublished == null ? "" : "published=" + publishedList() + "\n")
                + (reclaim.isEmpty() ? "" : "reclaim=" + reclaim + "\n")
                + "time=" + System.currentTimeMillis() + "\n";
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Parses the root object stored under {@code key} (named in messages). */
    public static RootObject parse(byte[] bytes, String key) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        String[] lines = text.split("\n");
        if (lines.length == 0 || !lines[0].equals(HEADER)) {
            throw new CorruptionException("The root object " + key
                    + " is not a ProtoBase cloud root (or was written by "
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
                    up[0], up[1], f.containsKey("segments") ? parseRanges(f.get("segments")) : null,
                    parseReleased(f.getOrDefault("released", "")), f.get("cluster"),
                    f.containsKey("lengths") ? parseReleased(f.get("lengths").replace(':', '@')) : null,
                    f.containsKey("term") ? Long.parseLong(f.get("term")) : -1,
                    f.containsKey("term") ? parsePublished(f.getOrDefault("published", "")) : null,
                    f.getOrDefault("reclaim", ""));
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

    /** {@code a-b,c,d-e}: runs of consecutive ids, so a long log costs a few bytes per run, not per segment. */
    private static String ranges(NavigableSet<Long> ids) {
        StringBuilder b = new StringBuilder();
        Long first = null;
        long last = 0;
        for (long id : ids) {
            if (first != null && id == last + 1) {
                last = id;
                continue;
            }
            appendRun(b, first, last);
            first = id;
            last = id;
        }
        appendRun(b, first, last);
        return b.toString();
    }

    private static void appendRun(StringBuilder b, Long first, long last) {
        if (first == null) {
            return;
        }
        if (!b.isEmpty()) {
            b.append(',');
        }
        b.append(first);
        if (last != first) {
            b.append('-').append(last);
        }
    }

    private static NavigableSet<Long> parseRanges(String text) {
        NavigableSet<Long> ids = new TreeSet<>();
        for (String run : text.split(",")) {
            if (run.isEmpty()) {
                continue;
            }
            int dash = run.indexOf('-');
            long from = Long.parseLong(dash < 0 ? run : run.substring(0, dash));
            long to = dash < 0 ? from : Long.parseLong(run.substring(dash + 1));
            if (to < from || to - from > 1 << 24) {
                throw new IllegalArgumentException("bad segment run " + run);
            }
            for (long id = from; id <= to; id++) {
                ids.add(id);
            }
        }
        return ids;
    }

    private String lengthList() {
        StringBuilder b = new StringBuilder();
        lengths.forEach((id, length) -> b.append(b.isEmpty() ? "" : ",").append(id).append(':').append(length));
        return b.toString();
    }

    /** {@code node:segment:offset,...}: the root each node published last. */
    private String publishedList() {
        StringBuilder b = new StringBuilder();
        lastPublished.forEach((node, p) -> b.append(b.isEmpty() ? "" : ",").append(node).append(':')
                .append(p.segmentId()).append(':').append(p.offset()));
        return b.toString();
    }

    private static NavigableMap<Integer, AtomPointer> parsePublished(String text) {
        NavigableMap<Integer, AtomPointer> m = new TreeMap<>();
        for (String e : text.split(",")) {
            if (!e.isEmpty()) {
                String[] parts = e.split(":");
                if (parts.length != 3) {
                    throw new IllegalArgumentException("bad published root " + e);
                }
                m.put(Integer.parseInt(parts[0]), new AtomPointer(Long.parseLong(parts[1]), Long.parseLong(parts[2])));
            }
        }
        return m;
    }

    private String releasedList() {
        StringBuilder b = new StringBuilder();
        released.forEach((id, at) -> b.append(b.isEmpty() ? "" : ",").append(id).append('@').append(at));
        return b.toString();
    }

    private static NavigableMap<Long, Long> parseReleased(String text) {
        NavigableMap<Long, Long> m = new TreeMap<>();
        for (String e : text.split(",")) {
            if (!e.isEmpty()) {
                int at = e.indexOf('@');
                m.put(Long.parseLong(e.substring(0, at)), Long.parseLong(e.substring(at + 1)));
            }
        }
        return m;
    }
}
