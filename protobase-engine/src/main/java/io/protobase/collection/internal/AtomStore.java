package io.protobase.collection.internal;

import io.protobase.CorruptionException;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.storage.AtomCache;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.SharedStorage;

import java.util.function.Function;

/**
 * Binds the collection layer to a {@link SharedStorage}: saves trees and records as atoms (children
 * before parents, each node once), loads nodes lazily through a shared {@link AtomCache}, and decodes
 * records whose collections stay lazy until read. One per object space; thread-safe.
 *
 * <p>Node and value layouts are specified in {@code docs/atom-format.md}. Enum constants decode to
 * their enum only if the type was registered ({@link #registerEnum}) or written by this process;
 * otherwise to {@link io.protobase.codec.EnumValue}: no class named in the data is ever loaded. A value
 * whose encoding is large is stored out of line, in chunk atoms of its own ({@link OutOfLineValues}).
 *
 * <p>Implemented inside {@code io.protobase.collection}, where the trees are: the store reads and
 * builds the collections' internal state, which this interface keeps out of their public API.
 */
public interface AtomStore {

    /**
     * A store of the atoms of {@code storage}.
     *
     * @param storage where atoms live
     * @param cacheBytes bound of the decoded-node cache, in encoded bytes
     * @return a new store with an empty cache
     */
    static AtomStore create(SharedStorage storage, long cacheBytes) {
        return CollectionLayer.provider().atomStore(storage, cacheBytes);
    }

    /** @return the storage underneath */
    SharedStorage storage();

    /** @return the node cache (for statistics) */
    AtomCache<?> cache();

    /** @return bytes pushed to storage by this store */
    long bytesWritten();

    /** @return bytes read from storage by this store (cache misses) */
    long bytesRead();

    /** @return atoms pushed to storage by this store */
    long atomsWritten();

    /**
     * Registers the function of an extractor index under its name, so collections read back with
     * that index can be changed (the name is stored, the function cannot be).
     *
     * @param name the index's stored name
     * @param extractor the function it indexes by
     */
    void registerIndexExtractor(String name, Function<Object, ?> extractor);

    /**
     * Lets constants of {@code type} decode to the enum itself.
     *
     * @param type the enum
     */
    void registerEnum(Class<? extends Enum<?>> type);

    /**
     * Saves every unsaved tree reachable from {@code value} (so a later encode is cheap).
     *
     * @param value a stored value
     */
    void persist(Object value);

    /**
     * Retires from the cache (see {@link AtomCache#retire}) the nodes of {@code value} that were saved
     * but will never be published: a transaction's version of a root written before the commit lock
     * and then rebased onto a concurrent commit, or refused.
     *
     * @param value the unpublished version
     */
    void retireUnpublished(Object value);

    /**
     * Writes {@code value} as one record atom, saving its collections first.
     *
     * @param value typically a {@link DbObject}
     * @return the record's pointer
     */
    AtomPointer writeRecord(Object value);

    /**
     * Reads a record atom; collections inside load lazily from this store.
     *
     * @param pointer the record
     * @return its value
     * @throws CorruptionException when the atom is malformed
     */
    Object readRecord(AtomPointer pointer);

    /**
     * Encodes a value the way it is stored inside atoms (used by tests and tools).
     *
     * @param value a storable value
     * @return its encoding as a record
     */
    byte[] encodeValue(Object value);

    /**
     * Decodes bytes produced by {@link #encodeValue}.
     *
     * @param bytes an encoding
     * @return the value
     * @throws CorruptionException when the bytes are malformed
     */
    Object decodeValue(byte[] bytes);

    /**
     * A saved dictionary re-rooted at its pointer, so holding it does not pin its in-memory nodes.
     *
     * @param d a saved dictionary
     * @return the same entries, rooted at the pointer
     */
    Dictionary detached(Dictionary d);

    /**
     * The bytes of the atom {@code pointer} when its decoded tree node is cached with them, else
     * {@code null}: what reading the atom would return, without reading the storage.
     *
     * @param pointer an atom
     * @return its bytes, or {@code null} when not at hand
     */
    byte[] cachedAtom(AtomPointer pointer);
}
