package io.protobase.collection.internal;

import io.protobase.collection.Dictionary;

/**
 * The hooks the transaction layer uses to validate and rebase root collections: tracking reads
 * of a root, telling whether a staged value descends from the version read, finding the first key
 * whose value a concurrent commit changed, and replaying logical operations on a fresh version.
 *
 * <p>Implemented inside {@code io.protobase.collection}: a tracked collection carries its lineage
 * (the version it was read as and the operations made since), which only that package sees.
 */
public interface Tracking {

    /** @return the collection layer's tracking */
    static Tracking instance() {
        return CollectionLayer.provider().tracking();
    }

    /**
     * A conflict found by {@link #firstChange}.
     *
     * @param key the key whose value changed (when not {@code whole})
     * @param whole whether the whole root changed, or was read whole
     */
    record Change(Object key, boolean whole) {
    }

    /**
     * @param value a root's value as read
     * @param log where the transaction's reads of it are recorded
     * @return {@code value} tracked by {@code log} when it is a collection, else {@code value}
     */
    Object track(Object value, AccessLog log);

    /**
     * @param value a value, tracked or not
     * @return {@code value} without tracking, as it is stored
     */
    Object untracked(Object value);

    /**
     * Checks that {@code value} can be stored as root {@code root}, returning it ready to store. A
     * collection tracked for this same root keeps its tracking (so it can be rebased); one tracked for
     * another root makes that root a whole read and is stored untracked.
     *
     * @param value the value to store
     * @param root the root's name
     * @return the value to stage
     */
    Object storableAsRoot(Object value, String root);

    /**
     * A builder of a database's roots dictionary. The roots dictionary and the catalog around it are
     * the engine's, not a level of the application's values: a root may hold a value as deep as any
     * stored value may be (the two extra levels are a fixed, shallow addition to every walk).
     *
     * @param roots the current roots
     * @return a builder starting from them
     */
    Dictionary.Builder rootsBuilder(Dictionary roots);

    /**
     * @param a a stored value
     * @param b another
     * @return whether the two are the same, without scanning collections
     */
    boolean same(Object a, Object b);

    /**
     * Whether {@code staged} was derived, through tracked operations, from the root version
     * {@code read} handed out with {@code log}. The log identifies the root: a collection derived
     * from another root whose tree merely equals this one's must not be replayed onto this root.
     *
     * @param staged the value to commit
     * @param read the version handed out
     * @param log the reads of that root
     * @return whether {@code staged} can be rebased by replaying its operations
     */
    boolean derivesFrom(Object staged, Object read, AccessLog log);

    /**
     * Returns the first read of {@code log} whose answer differs between the root versions
     * {@code snapshot} (what the transaction read) and {@code fresh} (what is committed now), or
     * {@code null} when every read would give the same answer.
     *
     * @param snapshot the version read
     * @param fresh the version committed now
     * @param log the reads
     * @return the first changed read, or {@code null}
     */
    Change firstChange(Object snapshot, Object fresh, AccessLog log);

    /**
     * Replays the operations that made {@code staged} on top of {@code fresh}, of the same type.
     *
     * @param staged a value for which {@link #derivesFrom} holds
     * @param fresh the version committed now
     * @return the rebased value
     */
    Object rebase(Object staged, Object fresh);
}
