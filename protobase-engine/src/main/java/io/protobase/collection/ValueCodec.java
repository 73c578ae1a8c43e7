package io.protobase.collection;

import io.protobase.CorruptionException;
import io.protobase.codec.AtomReader;
import io.protobase.codec.AtomReferences;
import io.protobase.codec.AtomWriter;
import io.protobase.codec.Names;
import io.protobase.codec.OutOfLineReference;
import io.protobase.codec.Tags;
import io.protobase.collection.internal.AtomGraph;
import io.protobase.collection.internal.OutOfLineValues;
import io.protobase.collection.internal.TreeKind;
import io.protobase.index.IndexDefinition;
import io.protobase.storage.AtomCache;
import io.protobase.storage.AtomPointer;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import static io.protobase.collection.TreeStore.INLINE_LIMIT;

/**
 * The values of the collection layer in the atom format ({@code docs/atom-format.md}): records, the
 * engine's collections (a header and the pointer to their saved tree), index declarations, and
 * references to values stored out of line. It plugs into the codec layer's {@link AtomWriter} and
 * {@link AtomReader} as their extension, in one of two encodings: <em>storing</em>, which saves the
 * trees of collections and moves values above {@link TreeStore#INLINE_LIMIT} out of line (pushing
 * atoms), and <em>inline</em>, which writes every value in place and pushes nothing.
 *
 * <p>A leaf value or record attribute is a <em>slot</em> ({@link #writeSlot}): what is written there is
 * the value, a copy of its {@link EncodedValue} bytes, or a reference to its chunk atoms. The reference
 * of every value stored out of line is remembered by the identity of the value object, so writing the
 * same value again (a copy in a later commit, the other half of a split) writes the reference, not the
 * value. Out-of-line values are loaded through the store's atom cache, keyed by their first chunk.
 *
 * <p>It also holds what decoding needs from the application: the enum types that constants may
 * decode to, and the functions of extractor indexes, by name. One per {@link TreeStore}; thread-safe.
 */
final class ValueCodec {

    private final TreeStore store;
    /** Shared with the store: decoded nodes and out-of-line values ({@link LoadedValue}), by pointer. */
    private final AtomCache<Object> cache;
    /**
     * The reference of each value this process stored out of line, by the identity of the value
     * object, for as long as that object lives: a record or node holding the value and written again
     * (a copy in a later commit, the other half of a split) writes the reference instead of the value's
     * bytes, and the saved node kept in the cache holds the reference, not the value.
     */
    private final Cache<Object, EncodedValue> storedOutOfLine = Caffeine.newBuilder().weakKeys().build();
    private final Map<String, Class<? extends Enum<?>>> enums = new ConcurrentHashMap<>();
    private final Map<String, Function<Object, ?>> extractors = new ConcurrentHashMap<>();
    /** Encodes what is stored, moving large values out of line; and decodes every atom. */
    private final Encoding storingEncoding = new Encoding(true, false);
    /** Encodes values inline only ({@link TreeStore#encodeValue}): no atom pushed as a side effect. */
    private final Encoding inlineEncoding = new Encoding(false, false);

    /** Each thread's arrays for {@link #scratchWriter}; {@code null} while a writer of the thread holds them. */
    private final ThreadLocal<AtomWriter.Scratch> scratch = ThreadLocal.withInitial(AtomWriter.Scratch::new);

    ValueCodec(TreeStore store, AtomCache<Object> cache) {
        this.store = store;
        this.cache = cache;
    }

    /** Lets constants of {@code type} decode to the enum itself. */
    void registerEnum(Class<? extends Enum<?>> type) {
        enums.put(type.getName(), type);
    }

    /** Registers the function of an extractor index under its name. */
    void registerIndexExtractor(String name, Function<Object, ?> extractor) {
        extractors.put(name, extractor);
    }

    /**
     * A writer of atoms to store: collections are saved and large values moved out of line. It collects
     * the references it writes when the storage notes them ({@link TreeStore#recordsReferences}).
     */
    AtomWriter writer(int initialCapacity) {
        AtomWriter w = new AtomWriter(storingEncoding, initialCapacity);
        return store.recordsReferences() ? w.trackReferences() : w;
    }

    /**
     * A {@link #writer} in this thread's scratch arrays, when no other writer of the thread holds them (a
     * node's values may save nested collections while it is written): hand it back with {@link #release}
     * once its bytes and references are copied out. {@code initialCapacity} is what the buffer is grown to
     * at least.
     */
    AtomWriter scratchWriter(int initialCapacity) {
        AtomWriter.Scratch s = scratch.get();
        if (s == null) {
            // held by an outer writer of this thread, or lost with a writer that failed: a scratch of its own,
            // which its release leaves to the thread
            s = new AtomWriter.Scratch();
        } else {
            scratch.set(null);
        }
        AtomWriter w = new AtomWriter(storingEncoding, s, initialCapacity);
        return store.recordsReferences() ? w.trackReferences() : w;
    }

    /** Takes back the arrays of a writer from {@link #scratchWriter}; it is not used any more. */
    void release(AtomWriter w) {
        AtomWriter.Scratch s = w.release();
        if (s != null) {
            scratch.set(s);
        }
    }

    /**
     * A re-encoding of a node to check a spliced encoding: like {@link #writer}, except that a value
     * stored out of line before is written as the reference remembered for it even when that reference
     * lies in a segment older than the one being written (pushing the value again, what {@link #writer}
     * does then, see {@link #reusable}, would push atoms as a side effect of the check), and that inside
     * an entry copied from the base node ({@link SpliceCheck#copiedFrom}) it is written as the reference
     * the base holds at that place when that one is a reference to a value of the same length and depth.
     * One value object may hold several valid references: pushed again when its remembered reference lay
     * in an older segment, it is remembered by the new one, while a copied entry (a key or a value of the
     * base) keeps the one it was stored with.
     */
    SpliceCheck spliceCheck(int initialCapacity) {
        return new SpliceCheck(initialCapacity);
    }

    /** One re-encoding of a node checking its spliced encoding ({@link #spliceCheck}); not thread-safe. */
    final class SpliceCheck {
        private final Encoding encoding = new Encoding(true, true);
        /** The writer of the re-encoding. */
        final AtomWriter writer;

        private SpliceCheck(int initialCapacity) {
            writer = new AtomWriter(encoding, initialCapacity);
        }

        /**
         * The entry written next is copied from {@code baseAtom}, where it spans {@code [start, end)}:
         * its out-of-line references may be the ones found there.
         */
        void copiedFrom(byte[] baseAtom, int start, int end) {
            encoding.baseAtom = baseAtom;
            encoding.baseDelta = start - writer.size();
            encoding.baseEnd = end;
        }

        /** The entry written next is new: every reference is the one remembered for its value. */
        void fresh() {
            encoding.baseAtom = null;
        }

        /** Writes {@code v} as a leaf value. */
        void writeSlot(Object v) {
            ValueCodec.this.writeSlot(writer, v, true, encoding);
        }
    }

    /** A writer that encodes every value in place and pushes no atom. */
    AtomWriter inlineWriter(int initialCapacity) {
        return new AtomWriter(inlineEncoding, initialCapacity);
    }

    /** A reader of an atom of this store; {@code source} names it in errors. */
    AtomReader reader(byte[] bytes, Object source) {
        return new AtomReader(bytes, source, storingEncoding);
    }

    /** A value left encoded in bytes {@code [start, end)} of {@code atom}, decoded by this codec when read. */
    EncodedValue encoded(byte[] atom, int start, int end, Object source) {
        return new EncodedValue(this, atom, start, end, source);
    }

    /** Decodes a record atom; malformed input gives {@link CorruptionException} naming {@code source}. */
    Object decodeRecord(byte[] bytes, Object source) {
        AtomReader r = reader(bytes, source);
        try {
            byte kind = r.begin();
            if (kind != Tags.ATOM_RECORD) {
                throw r.corrupt("expected a record atom, found kind " + kind);
            }
            Object v = r.readValue();
            r.end();
            return v;
        } catch (CorruptionException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CorruptionException("Corrupt " + source + ": " + e, e);
        }
    }

    /** A value stored out of line, as decoded and cached, with the reference it was loaded by. */
    record LoadedValue(OutOfLineReference reference, Object value) {
    }

    /**
     * Writes {@code v}, the value of a leaf entry or record attribute: inline, or, when its encoding
     * exceeds {@link TreeStore#INLINE_LIMIT} and {@code storing}, as a reference to chunk atoms pushed now (or
     * pushed before for the same value object). An encoded value of this codec is copied as it is,
     * unless it is a large value stored inline by a build without out-of-line values: that one moves
     * out of line the first time its node is rewritten.
     *
     * @return the reference written, when {@code v} was moved out of line now, else {@code null}
     */
    EncodedValue writeSlot(AtomWriter w, Object v, boolean storing) {
        return writeSlot(w, v, storing, null);
    }

    /**
     * {@link #writeSlot(AtomWriter, Object, boolean)}; {@code check}: the encoding of a {@link SpliceCheck},
     * or {@code null}.
     */
    private EncodedValue writeSlot(AtomWriter w, Object v, boolean storing, Encoding check) {
        boolean anySegment = check != null && check.anySegment;
        // what the slot holds: the value, or its encoding, by whose identity a reference is remembered
        Object slot = v;
        if (v instanceof EncodedValue e) {
            if (e.codec == this && (e.outOfLine() || !storing || e.end - e.start <= INLINE_LIMIT)) {
                writeRawValue(w, e);
                return null;
            }
            EncodedValue known = storing ? storedOutOfLine.getIfPresent(e) : null;
            if (known != null && (anySegment || reusable(known))) {
                writeReference(w, known, check);
                return known;
            }
            v = e.decode();
        }
        int start = w.size();
        w.writeValue(v);
        if (!storing || w.size() - start <= INLINE_LIMIT) {
            return null;
        }
        EncodedValue ref = storedOutOfLine.getIfPresent(slot);
        if (ref == null || !(anySegment || reusable(ref))) {
            byte[] encoding = w.copyOfRange(start, w.size());
            if (w.tracksReferences()) {
                // the chunks are raw bytes: what the value references is told apart
                store.held(w.referencesFrom(start), encoding);
            }
            ref = pushOutOfLine(encoding, Values.depth(v));
            storedOutOfLine.put(slot, ref);
        }
        w.truncate(start);
        writeReference(w, ref, check);
        return ref;
    }

    /**
     * Writes {@code ref}, or, in a {@link SpliceCheck} of an entry copied from the base, the reference
     * the base holds at this place if it refers to a value of the same length and depth.
     */
    private void writeReference(AtomWriter w, EncodedValue ref, Encoding check) {
        if (check != null && check.baseAtom != null) {
            byte[] base = check.baseAtom;
            int at = w.size() + check.baseDelta;
            AtomReader there = referenceAt(base, at, check.baseEnd);
            AtomReader mine = referenceAt(ref.atom, ref.start, ref.end);
            if (there != null && mine != null && sameValueReferenced(there, mine, check.baseEnd)) {
                w.writeRawFrom(base, at, there.position() - at);
                return;
            }
        }
        writeRawValue(w, ref);
    }

    /** Copies the bytes of {@code e}, with their references when {@code w} collects them. */
    private static void writeRawValue(AtomWriter w, EncodedValue e) {
        w.writeRawFrom(e.atom, e.start, e.end - e.start,
                w.tracksReferences() ? AtomGraph.valueReferences(e.atom, e.start, e.end) : null);
    }

    /** Whether the references the two readers are at refer to values of the same length and depth. */
    private static boolean sameValueReferenced(AtomReader there, AtomReader mine, int end) {
        try {
            OutOfLineReference a = there.readOutOfLine();
            OutOfLineReference b = mine.readOutOfLine();
            return a.depth() == b.depth() && a.length() == b.length() && there.position() <= end;
        } catch (RuntimeException e) {
            // not a reference where the base was expected to hold one: the comparison fails
            return false;
        }
    }

    /**
     * A reader positioned after the {@link Tags#OUT_OF_LINE} tag at {@code at} of {@code atom}, or
     * {@code null} if there is none before {@code end}.
     */
    private AtomReader referenceAt(byte[] atom, int at, int end) {
        if (at < 0 || at >= end || at >= atom.length || atom[at] != Tags.OUT_OF_LINE) {
            return null;
        }
        AtomReader r = reader(atom, "the check of a spliced node");
        r.begin();
        r.seek(at + 1);
        return r;
    }

    /**
     * Whether a commit may write {@code ref}, a reference this process stored earlier, instead of
     * pushing the value again. Its chunks may since have become unreachable (the value deleted, or
     * moved by compaction) and their segment released. A commit in flight keeps the segment being
     * written when it started, and every later one, from being released until it is published, so
     * chunks in the segment being written now are safe to reference; older ones are pushed again.
     */
    private boolean reusable(EncodedValue ref) {
        return store.storage().reclaimer()
                .map(r -> ((AtomPointer) ref.source).segmentId() >= r.writingSegment())
                .orElse(true);
    }

    /** Pushes {@code encoding} as chunk atoms and returns the reference to write in its place. */
    private EncodedValue pushOutOfLine(byte[] encoding, int depth) {
        OutOfLineReference reference = OutOfLineValues.push(encoding, 0, encoding.length, depth,
                chunk -> store.push(chunk, AtomReferences.NONE));
        AtomWriter w = new AtomWriter(null, 32).begin(Tags.ATOM_RECORD);
        w.writeOutOfLine(reference);
        byte[] atom = w.toByteArray();
        return encoded(atom, 2, atom.length, reference.first());
    }

    /**
     * Loads a value stored out of line, through the cache keyed by its first chunk. A cached value
     * loaded by another reference to that chunk means a damaged atom: chunks are never shared.
     */
    private Object loadOutOfLine(OutOfLineReference reference, Object holder) {
        Object cached = cache.get(reference.first(), p -> readOutOfLine(reference, holder));
        if (!(cached instanceof LoadedValue loaded)) {
            throw new CorruptionException("Corrupt " + holder + ": its out-of-line value points at "
                    + reference.first() + ", which is a tree node, not a chunk");
        }
        if (!loaded.reference.equals(reference)) {
            throw new CorruptionException("Corrupt " + holder + ": its out-of-line value starting at "
                    + reference.first() + " (" + reference.length() + " bytes) is cached for another reference ("
                    + loaded.reference.length() + " bytes)");
        }
        return loaded.value;
    }

    private LoadedValue readOutOfLine(OutOfLineReference reference, Object holder) {
        Object source = "out-of-line value at " + reference.first() + " of " + holder;
        return new LoadedValue(reference, decodeRecord(concatenated(reference, holder), source));
    }

    private byte[] concatenated(OutOfLineReference reference, Object holder) {
        return OutOfLineValues.record(reference, holder, store::read);
    }

    /**
     * The reference {@code v} was stored out of line under by this process, or {@code null}: what a
     * cached node or record holds in place of the value.
     */
    EncodedValue outOfLineReference(Object v) {
        return mayBeOutOfLine(v) ? storedOutOfLine.getIfPresent(v) : null;
    }

    /** Whether {@code v} may have been stored out of line: only a value that can encode to more than the limit. */
    private boolean mayBeOutOfLine(Object v) {
        if (storedOutOfLine.estimatedSize() == 0) {
            return false;
        }
        if (v instanceof String s) {
            return s.length() * 3L > INLINE_LIMIT - 8;
        }
        if (v instanceof byte[] b) {
            return b.length > INLINE_LIMIT - 8;
        }
        return v instanceof DbObject || v instanceof List<?> || v instanceof java.math.BigInteger
                || v instanceof java.math.BigDecimal;
    }

    /** Bits of the kind byte of an index declaration in a {@link Tags#INDEXED} value. */
    private static final int INDEX_EXTRACTOR = 1;
    private static final int INDEX_COVERING = 2;
    /** Entries in a {@link TreeKind#PAIRED_EXACT} tree: the index of a list, written since lists keep types apart. */
    private static final int INDEX_EXACT = 4;
    /** Entries in a {@link TreeKind#PAIRED_BY_VALUE} tree: the index of a dictionary (docs/atom-format.md). */
    private static final int INDEX_BY_VALUE = 8;

    /** The codec layer's extension, in the storing or the inline encoding. */
    private final class Encoding implements AtomWriter.Extension, AtomReader.Extension {

        private final boolean storing;
        /** Every remembered reference is written, whatever its segment ({@link #spliceCheck}). */
        private final boolean anySegment;
        /**
         * In a {@link SpliceCheck}, the base atom the entry being written was copied from, with the
         * distance from a position of the writer to the same position there and the entry's end in it.
         */
        private byte[] baseAtom;
        private int baseDelta;
        private int baseEnd;

        Encoding(boolean storing, boolean anySegment) {
            this.storing = storing;
            this.anySegment = anySegment;
        }

        @Override
        public boolean write(AtomWriter w, Object v) {
            if (v instanceof DbObject o) {
                w.writeByte(Tags.DB_OBJECT);
                w.writeVarLong(o.count());
                for (int i = 0; i < o.count(); i++) {
                    w.writeString(o.nameAt(i));
                    writeSlot(w, o.valueAt(i), storing, anySegment ? this : null);
                }
                return true;
            }
            if (v instanceof EncodedValue e) {
                writeSlot(w, e, storing, anySegment ? this : null);
                return true;
            }
            if (v instanceof ProtoCollection c) {
                if (!c.indexes.isEmpty()) {
                    writeIndexes(w, c.indexes);
                }
                AtomPointer root = store.saveTree(c.tree);
                w.writeByte(tagOf(c));
                w.writeVarLong(c.tree.size());
                if (c instanceof CountedSet cs) {
                    w.writeVarLong(cs.total);
                } else if (c instanceof RepeatedKeysDictionary rk) {
                    w.writeVarLong(rk.keyCount);
                    w.writeVarLong(rk.total);
                }
                if (root == null) {
                    w.writeByte(0);
                } else {
                    w.writeByte(1);
                    w.writePointer(root);
                }
                return true;
            }
            return false;
        }

        /**
         * Writes the {@link Tags#INDEXED} prefix: count, then per index name, kind (bit 0: extractor,
         * bit 1: covering, bit 2: exact entries), path and entries.
         */
        private void writeIndexes(AtomWriter w, Indexes indexes) {
            w.writeByte(Tags.INDEXED);
            w.writeVarLong(indexes.all().length);
            for (Indexes.Index i : indexes.all()) {
                IndexDefinition d = i.definition();
                w.writeString(d.name());
                int flags = (d.isCovering() ? INDEX_COVERING : 0)
                        | (i.entries().tree.kind() == TreeKind.PAIRED_EXACT ? INDEX_EXACT : 0)
                        | (i.entries().tree.kind() == TreeKind.PAIRED_BY_VALUE ? INDEX_BY_VALUE : 0);
                if (d.isExtractor()) {
                    w.writeByte(INDEX_EXTRACTOR | flags);
                    d.extractor().ifPresent(f -> extractors.putIfAbsent(d.name(), f));
                } else {
                    w.writeByte(flags);
                    w.writeString(d.path().orElseThrow().toString());
                }
                w.writeValue(i.entries());
            }
        }

        private Object readIndexed(AtomReader r) {
            int n = r.readCount(3);
            if (n == 0) {
                throw r.corrupt("an indexed collection without indexes");
            }
            Indexes.Index[] indexes = new Indexes.Index[n];
            for (int i = 0; i < n; i++) {
                String name = r.readString();
                byte kind = r.readByte();
                if ((kind & ~(INDEX_EXTRACTOR | INDEX_COVERING | INDEX_EXACT | INDEX_BY_VALUE)) != 0
                        || (kind & INDEX_EXACT) != 0 && (kind & INDEX_BY_VALUE) != 0) {
                    throw r.corrupt("unknown index kind " + kind);
                }
                String path = (kind & INDEX_EXTRACTOR) == 0 ? r.readString() : null;
                if (!(r.readValue() instanceof RepeatedKeysDictionary entries)) {
                    throw r.corrupt("index '" + name + "' without its entries");
                }
                if ((kind & INDEX_EXACT) != 0) {
                    Tree t = entries.tree;
                    entries = entries.withTree(new Tree(TreeKind.PAIRED_EXACT, t.root(), t.size(), t.store()));
                } else if ((kind & INDEX_BY_VALUE) != 0) {
                    Tree t = entries.tree;
                    entries = entries.withTree(new Tree(TreeKind.PAIRED_BY_VALUE, t.root(), t.size(), t.store()));
                }
                IndexDefinition d;
                try {
                    d = IndexDefinition.restored(name, path, (kind & INDEX_COVERING) != 0, () -> extractors.get(name));
                } catch (IllegalArgumentException e) {
                    throw r.corrupt("bad index definition '" + name + "': " + e.getMessage());
                }
                indexes[i] = new Indexes.Index(d, entries);
            }
            Object c = r.readValue();
            if (!(c instanceof Dictionary || c instanceof HashDictionary || c instanceof ProtoList
                    || c instanceof ProtoSet)) {
                throw r.corrupt("indexes on a value that cannot carry them");
            }
            for (Indexes.Index i : indexes) {
                if (i.holdsRecords(((ProtoCollection) c).tree.kind()) && i.entries().total != i.entries().tree.size()) {
                    throw r.corrupt("covering index '" + i.definition().name() + "' with repeated entries");
                }
                if (i.entries().tree.kind() == TreeKind.PAIRED_EXACT && !(c instanceof ProtoList)) {
                    throw r.corrupt("index '" + i.definition().name() + "' with exact entries on a "
                            + c.getClass().getSimpleName() + " (only the index of a ProtoList has them)");
                }
                if (i.entries().tree.kind() == TreeKind.PAIRED_BY_VALUE
                        && !(c instanceof Dictionary || c instanceof HashDictionary)) {
                    throw r.corrupt("index '" + i.definition().name() + "' with entries ordered by value on a "
                            + c.getClass().getSimpleName() + " (only the index of a dictionary has them)");
                }
            }
            try {
                return ((ProtoCollection) c).withIndexes(Indexes.of(indexes));
            } catch (io.protobase.index.IndexException e) {
                throw r.corrupt(e.getMessage());
            }
        }

        @Override
        public void enumWritten(Class<? extends Enum<?>> type) {
            enums.putIfAbsent(type.getName(), type);
        }

        private byte tagOf(ProtoCollection c) {
            if (c instanceof Dictionary) {
                return Tags.DICTIONARY;
            }
            if (c instanceof HashDictionary) {
                return Tags.HASH_DICTIONARY;
            }
            if (c instanceof ProtoList) {
                return Tags.PROTO_LIST;
            }
            if (c instanceof ProtoSet) {
                return Tags.PROTO_SET;
            }
            if (c instanceof CountedSet) {
                return Tags.COUNTED_SET;
            }
            return Tags.REPEATED_KEYS_DICTIONARY;
        }

        @Override
        public void skip(AtomReader r, byte tag) {
            if (tag != Tags.DB_OBJECT) {
                read(r, tag);
                return;
            }
            int n = r.readCount(2);
            for (int i = 0; i < n; i++) {
                r.skip(r.readCount(1));
                r.skipValue();
            }
        }

        @Override
        public Object read(AtomReader r, byte tag) {
            switch (tag) {
                case Tags.DB_OBJECT: {
                    int n = r.readCount(2);
                    String[] names = new String[n];
                    Object[] values = new Object[n];
                    for (int i = 0; i < n; i++) {
                        names[i] = r.readName();
                        if (i > 0 && names[i].compareTo(names[i - 1]) <= 0) {
                            throw r.corrupt("record attribute names out of order");
                        }
                        if (r.peekByte() == Tags.OUT_OF_LINE) {
                            // left as a reference: loaded when the attribute is read
                            int start = r.position();
                            r.skipValue();
                            values[i] = encoded(r.atom(), start, r.position(), r.source());
                            continue;
                        }
                        values[i] = r.readValue();
                        if (values[i] == null) {
                            throw r.corrupt("record attribute '" + names[i] + "' holds null, which is never stored");
                        }
                    }
                    return new DbObject(Names.shape(names), values);
                }
                case Tags.INDEXED:
                    return readIndexed(r);
                case Tags.OUT_OF_LINE:
                    return loadOutOfLine(r.readOutOfLine(), r.source());
                case Tags.DICTIONARY:
                    return new Dictionary(readTree(r, TreeKind.SORTED), null);
                case Tags.HASH_DICTIONARY:
                    return new HashDictionary(readTree(r, TreeKind.HASHED), null);
                case Tags.PROTO_LIST:
                    return new ProtoList(readTree(r, TreeKind.POSITIONAL), null);
                case Tags.PROTO_SET:
                    return new ProtoSet(readTree(r, TreeKind.HASHED_SET), null);
                case Tags.COUNTED_SET: {
                    long size = nonNegative(r, r.readVarLong());
                    long total = nonNegative(r, r.readVarLong());
                    return new CountedSet(readRoot(r, TreeKind.HASHED, size), total, null);
                }
                case Tags.REPEATED_KEYS_DICTIONARY: {
                    long size = nonNegative(r, r.readVarLong());
                    long keys = nonNegative(r, r.readVarLong());
                    long total = nonNegative(r, r.readVarLong());
                    return new RepeatedKeysDictionary(readRoot(r, TreeKind.PAIRED, size), keys, total, null);
                }
                default:
                    throw r.corrupt("unknown value tag " + tag);
            }
        }

        private long nonNegative(AtomReader r, long v) {
            if (v < 0) {
                throw r.corrupt("negative count " + v);
            }
            return v;
        }

        private Tree readTree(AtomReader r, TreeKind kind) {
            long size = nonNegative(r, r.readVarLong());
            return readRoot(r, kind, size);
        }

        private Tree readRoot(AtomReader r, TreeKind kind, long size) {
            byte flag = r.readByte();
            if (flag == 0) {
                if (size != 0) {
                    throw r.corrupt("empty collection with size " + size);
                }
                return new Tree(kind, null, 0, store);
            }
            if (flag != 1) {
                throw r.corrupt("bad collection root flag " + flag);
            }
            if (size == 0) {
                throw r.corrupt("collection of size 0 with a root");
            }
            return new Tree(kind, r.readPointer(), size, store);
        }

        @Override
        public Class<? extends Enum<?>> enumType(String name) {
            return enums.get(name);
        }
    }
}
