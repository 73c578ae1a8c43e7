package io.protobase.collection;

import java.util.function.Consumer;

/**
 * The hooks the transaction layer uses to validate and rebase root collections: tracking reads
 * of a root, telling whether a staged value descends from the version read, finding the first key
 * whose value a concurrent commit changed, and replaying logical operations on a fresh version.
 *
 * <p>Engine plumbing for {@code io.protobase.Transaction}, not application API.
 */
public final class Tracking {

    private Tracking() {
    }

    /** A conflict found by {@link #firstChange}: the key that changed, or the whole root. */
    public record Change(Object key, boolean whole) {
    }

    /** Returns {@code value} tracked by {@code log} when it is a collection, else {@code value}. */
    public static Object track(Object value, AccessLog log) {
        if (value instanceof ProtoCollection c) {
            return c.withLineage(new Lineage(log, c.tree, null));
        }
        return value;
    }

    /** Returns {@code value} without tracking, as it is stored. */
    public static Object untracked(Object value) {
        if (value instanceof ProtoCollection c && c.lineage != null) {
            return c.withLineage(null);
        }
        return value;
    }

    /**
     * Checks that {@code value} can be stored as root {@code root}, returning it ready to store. A
     * collection tracked for this same root keeps its tracking (so it can be rebased); one tracked for
     * another root makes that root a whole read and is stored untracked.
     */
    public static Object storableAsRoot(Object value, String root) {
        if (value instanceof ProtoCollection c && c.lineage != null && c.lineage.log().root().equals(root)) {
            return value;
        }
        return Values.storable(value);
    }

    /**
     * A builder of a database's roots dictionary. The roots dictionary and the catalog around it are
     * the engine's, not a level of the application's values: a root may hold a value as deep as any
     * stored value may be (the two extra levels are a fixed, shallow addition to every walk).
     */
    public static Dictionary.Builder rootsBuilder(Dictionary roots) {
        Dictionary.Builder b = roots.toBuilder();
        b.countsNesting = false;
        return b;
    }

    /** Whether two stored values are the same, without scanning collections. */
    public static boolean same(Object a, Object b) {
        return Values.same(a, b);
    }

    /**
     * Whether {@code staged} was derived, through tracked operations, from the root version
     * {@code read} handed out with {@code log}. The log identifies the root: a collection derived
     * from another root whose tree merely equals this one's must not be replayed onto this root.
     */
    public static boolean derivesFrom(Object staged, Object read, AccessLog log) {
        return staged instanceof ProtoCollection s && read instanceof ProtoCollection r
                && s.getClass() == r.getClass() && s.lineage != null && s.lineage.log() == log
                && s.lineage.base().sameAs(r.tree);
    }

    /**
     * Returns the first read of {@code log} whose answer differs between the root versions
     * {@code snapshot} (what the transaction read) and {@code fresh} (what is committed now), or
     * {@code null} when every read would give the same answer.
     */
    public static Change firstChange(Object snapshot, Object fresh, AccessLog log) {
        // handing out a collection root is a read of its existence and type
        if (!(snapshot instanceof ProtoCollection s) || !(fresh instanceof ProtoCollection f)
                || s.getClass() != f.getClass()) {
            return new Change(null, true);
        }
        if (log.isEmpty()) {
            return null;
        }
        if (log.readsAll()) {
            return new Change(null, true);
        }
        for (Object key : log.keys()) {
            if (!Values.same(s.validationLookup(key), f.validationLookup(key))) {
                return new Change(key, false);
            }
        }
        return null;
    }

    /** Replays the operations that made {@code staged} on top of {@code fresh}, of the same type. */
    public static Object rebase(Object staged, Object fresh) {
        ProtoCollection s = (ProtoCollection) staged;
        ProtoCollection f = (ProtoCollection) fresh;
        ProtoCollection.Builder<?> b = f.withLineage(null).replayBuilder();
        for (Consumer<Object> op : s.lineage.oldestFirst()) {
            op.accept(b);
        }
        return b.build();
    }
}
