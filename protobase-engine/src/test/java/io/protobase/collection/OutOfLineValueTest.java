package io.protobase.collection;

import io.protobase.CorruptionException;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.codec.AtomWriter;
import io.protobase.codec.StableHash;
import io.protobase.codec.Tags;
import io.protobase.codec.ValueOrder;
import io.protobase.collection.internal.AtomGraph;
import io.protobase.collection.internal.TreeKind;
import io.protobase.index.IndexDefinition;
import io.protobase.query.Field;
import io.protobase.query.Query;
import io.protobase.query.SortKey;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.ForwardingStorage;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Values stored out of line: a large leaf value or record attribute lives in chunk atoms of its own,
 * so a commit beside it does not rewrite it and a reader that does not need it does not read it; and
 * nodes split by size, so a commit rewrites bounded nodes. Sizes are measured in bytes pushed to and
 * read from the storage, as the user's statistics and storage see them.
 */
class OutOfLineValueTest {

    private static final int KIB = 1024;
    private static final int MIB = 1024 * KIB;

    /** Counts reads, in bytes and in chunk atoms, and keeps the atoms pushed. */
    static final class CountingStorage extends ForwardingStorage {
        long bytesRead;
        int chunksRead;
        final List<byte[]> pushed = new ArrayList<>();

        CountingStorage(SharedStorage delegate) {
            super(delegate);
        }

        @Override
        public synchronized AtomPointer push(byte[] atom) {
            pushed.add(atom);
            return super.push(atom);
        }

        @Override
        public synchronized byte[] read(AtomPointer pointer) {
            byte[] b = super.read(pointer);
            bytesRead += b.length;
            if (b[1] == Tags.ATOM_CHUNK) {
                chunksRead++;
            }
            return b;
        }

        synchronized void reset() {
            bytesRead = 0;
            chunksRead = 0;
            pushed.clear();
        }
    }

    private static byte[] blob(int seed, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (seed * 131 + i * 7 + (i >>> 9));
        }
        return b;
    }

    private static long written(ObjectSpace space, Runnable commit) {
        long before = space.statistics().bytesWritten();
        commit.run();
        return space.statistics().bytesWritten() - before;
    }

    @Test
    void oneKeyCommitBesideMegabyteValuesWritesReferencesInsteadOfTheValues() {
        ObjectSpace space = new ObjectSpace(new MemoryStorage());
        Database db = space.getDatabase("db");
        db.write(tx -> {
            Dictionary.Builder b = Dictionary.builder();
            for (int i = 0; i < 20; i++) {
                b.setAt("file-" + i, blob(i, MIB));
            }
            tx.setRootObject("files", b.build());
            return null;
        });

        long bytes = written(space, () -> db.write(tx -> {
            Dictionary files = (Dictionary) tx.getRootObject("files");
            tx.setRootObject("files", files.setAt("note", "a small value"));
            return null;
        }));

        assertThat(bytes).as("bytes written by a one-key commit beside 20 values of 1 MiB").isLessThan(16 * KIB);
        Dictionary files = db.read(tx -> (Dictionary) tx.getRootObject("files"));
        assertThat((byte[]) files.getAt("file-7")).isEqualTo(blob(7, MIB));
        assertThat(files.getAt("note")).isEqualTo("a small value");
    }

    @Test
    void readingKeysAndSmallAttributesNeverReadsTheLargeValues() {
        MemoryStorage memory = new MemoryStorage();
        Database writer = new ObjectSpace(memory).getDatabase("db");
        writer.write(tx -> {
            Dictionary.Builder b = Dictionary.builder();
            for (int i = 0; i < 30; i++) {
                b.setAt("doc-" + i, DbObject.of("name", "document " + i, "content", blob(i, 200 * KIB)));
            }
            b.setAt("raw", blob(99, 300 * KIB));
            tx.setRootObject("docs", b.build());
            return null;
        });
        CountingStorage counting = new CountingStorage(memory);
        Database reader = new ObjectSpace(counting).getDatabase("db");

        Map<Object, Object> names = reader.read(tx -> {
            Dictionary docs = (Dictionary) tx.getRootObject("docs");
            assertThat(docs.has("raw")).isTrue();
            assertThat(docs.keys()).hasSize(31);
            return docs.keys().filter(k -> !k.equals("raw"))
                    .collect(Collectors.toMap(k -> k, k -> ((DbObject) docs.getAt(k)).getAt("name")));
        });

        assertThat(names).hasSize(30).containsEntry("doc-3", "document 3");
        assertThat(counting.chunksRead).as("chunk atoms read").isZero();
        assertThat(counting.bytesRead).as("bytes read for keys and names").isLessThan(64 * KIB);

        byte[] content = reader.read(tx -> (byte[]) ((DbObject) ((Dictionary) tx.getRootObject("docs"))
                .getAt("doc-3")).getAt("content"));
        assertThat(content).isEqualTo(blob(3, 200 * KIB));
        assertThat(counting.chunksRead).as("chunk atoms read for one attribute").isEqualTo(1);
    }

    @Test
    void valueLargerThanOneChunkIsStoredInSeveralChunksAndReadBackWhole() {
        MemoryStorage memory = new MemoryStorage();
        CountingStorage counting = new CountingStorage(memory);
        Database db = new ObjectSpace(counting).getDatabase("db");
        String text = "0123456789abcdef".repeat(5 * MIB / 32);
        db.write(tx -> {
            tx.setRootObject("book", ProtoList.of("title", text));
            return null;
        });

        List<byte[]> chunks = counting.pushed.stream().filter(a -> a[1] == Tags.ATOM_CHUNK).toList();
        assertThat(chunks).hasSize(3);
        assertThat(chunks).allSatisfy(c -> assertThat(c.length).isLessThanOrEqualTo(Tags.MAX_CHUNK_BYTES + 2));

        CountingStorage fresh = new CountingStorage(memory);
        ProtoList book = new ObjectSpace(fresh).getDatabase("db").read(tx -> (ProtoList) tx.getRootObject("book"));
        assertThat(book.getAt(0)).isEqualTo("title");
        assertThat(fresh.chunksRead).isZero();
        assertThat(book.getAt(1)).isEqualTo(text);
        assertThat(fresh.chunksRead).isEqualTo(3);
    }

    @Test
    void valueLargerThanOneAtomMayBeStored() {
        MemoryStorage memory = new MemoryStorage();
        byte[] huge = blob(5, Tags.MAX_ATOM_BYTES + 3);
        new ObjectSpace(memory).getDatabase("db").write(tx -> {
            tx.setRootObject("huge", Dictionary.of("k", huge));
            return null;
        });

        Dictionary read = new ObjectSpace(memory).getDatabase("db").read(tx -> (Dictionary) tx.getRootObject("huge"));

        assertThat((byte[]) read.getAt("k")).isEqualTo(huge);
    }

    @Test
    void largeRootObjectIsStoredOutOfLineAndReadBackWhole() {
        MemoryStorage memory = new MemoryStorage();
        CountingStorage counting = new CountingStorage(memory);
        String text = "root text ".repeat(300 * KIB);
        new ObjectSpace(counting).getDatabase("db").write(tx -> {
            tx.setRootObject("text", text);
            tx.setRootObject("count", 1);
            return null;
        });
        assertThat(counting.pushed.stream().filter(a -> a[1] == Tags.ATOM_CHUNK)).hasSize(3);

        CountingStorage fresh = new CountingStorage(memory);
        Database db = new ObjectSpace(fresh).getDatabase("db");
        Object count = db.read(tx -> tx.getRootObject("count"));
        assertThat(count).isEqualTo(1);
        assertThat(fresh.chunksRead).isZero();
        Object read = db.read(tx -> tx.getRootObject("text"));
        assertThat(read).isEqualTo(text);
    }

    @Test
    void outOfLineValuesEqualHashAndOrderLikeTheValuesWritten() {
        MemoryStorage memory = new MemoryStorage();
        String big = "x".repeat(10 * KIB);
        DbObject record = DbObject.of("id", 1, "text", big, "tags", List.of("a", big));
        new ObjectSpace(memory).getDatabase("db").write(tx -> {
            tx.setRootObject("d", HashDictionary.of(List.of(1, 2), record, "plain", big));
            return null;
        });

        HashDictionary read = new ObjectSpace(memory).getDatabase("db")
                .read(tx -> (HashDictionary) tx.getRootObject("d"));
        DbObject back = (DbObject) read.getAt(List.of(1, 2));

        assertThat(back).isEqualTo(record).hasSameHashCodeAs(record);
        assertThat(record).isEqualTo(back);
        assertThat(StableHash.of(back)).isEqualTo(StableHash.of(record));
        assertThat(ValueOrder.INSTANCE.compare(back, record)).isZero();
        assertThat(ValueOrder.INSTANCE.compare(back, record.with("text", big + "y"))).isNegative();
        assertThat(back.asMap()).isEqualTo(record.asMap());
        assertThat(read.getAt("plain")).isEqualTo(big);
    }

    @Test
    void indexesAndQueriesFindOutOfLineAttributesLikeInlineOnes() {
        Dictionary.Builder b = Dictionary.builder();
        for (int i = 0; i < 60; i++) {
            b.setAt(i, DbObject.of("id", i, "category", "c" + i % 3, "body", ("body " + i % 5 + " ").repeat(400)));
        }
        Dictionary written = b.build().withIndex(IndexDefinition.onField("body"))
                .withIndex(IndexDefinition.onField("category"));
        MemoryStorage memory = new MemoryStorage();
        new ObjectSpace(memory).getDatabase("db").write(tx -> {
            tx.setRootObject("docs", written);
            return null;
        });
        Dictionary read = new ObjectSpace(memory).getDatabase("db").read(tx -> (Dictionary) tx.getRootObject("docs"));
        String body2 = "body 2 ".repeat(400);

        for (Dictionary d : List.of(written, read)) {
            assertThat(d.indexes().get("body").count(body2)).isEqualTo(12);
            assertThat(d.indexes().get("body").lookup(body2))
                    .allSatisfy(r -> assertThat(((DbObject) r).getAt("body")).isEqualTo(body2));
            Query q = Query.from(d).where(Field.of("body").eq(body2).and(Field.of("category").eq("c1")));
            assertThat(q.toList()).extracting(r -> ((DbObject) r).getAt("id")).containsExactlyInAnyOrder(7, 22, 37, 52);
            assertThat(Query.from(d).orderBy(SortKey.desc("body")).limit(1).toList())
                    .extracting(r -> ((DbObject) r).getAt("body")).containsExactly("body 4 ".repeat(400));
        }
    }

    @Test
    void recordWrittenAgainKeepsItsLargeAttributeWithoutRewritingIt() {
        MemoryStorage memory = new MemoryStorage();
        new ObjectSpace(memory).getDatabase("db").write(tx -> {
            tx.setRootObject("r", Dictionary.of("k", DbObject.of("n", 1, "blob", blob(1, 512 * KIB))));
            return null;
        });
        ObjectSpace space = new ObjectSpace(memory);
        Database db = space.getDatabase("db");

        long bytes = written(space, () -> db.write(tx -> {
            Dictionary d = (Dictionary) tx.getRootObject("r");
            tx.setRootObject("r", d.setAt("k", ((DbObject) d.getAt("k")).with("n", 2)));
            return null;
        }));

        assertThat(bytes).isLessThan(4 * KIB);
        DbObject back = db.read(tx -> (DbObject) ((Dictionary) tx.getRootObject("r")).getAt("k"));
        assertThat(back.getAt("n")).isEqualTo(2);
        assertThat((byte[]) back.getAt("blob")).isEqualTo(blob(1, 512 * KIB));
    }

    @Test
    void oneKeyCommitAmongValuesJustBelowTheInlineLimitRewritesOneBoundedLeaf() {
        ObjectSpace space = new ObjectSpace(new MemoryStorage());
        Database db = space.getDatabase("db");
        String value = "v".repeat(TreeStore.INLINE_LIMIT - 16);
        db.write(tx -> {
            Dictionary.Builder b = Dictionary.builder();
            for (int i = 0; i < 2000; i++) {
                b.setAt(i, value + i);
            }
            tx.setRootObject("d", b.build());
            return null;
        });

        long bytes = written(space, () -> db.write(tx -> {
            tx.setRootObject("d", ((Dictionary) tx.getRootObject("d")).setAt(1000, "changed"));
            return null;
        }));

        // one leaf of at most MAX_BYTES, its parent (about 20 bytes per child) and the space root
        assertThat(bytes).isLessThan(Node.MAX_BYTES + 4 * KIB);
    }

    @Test
    void treeOfKeysLargerThanTheNodeBoundStaysOrderedAndComplete() {
        MemoryStorage memory = new MemoryStorage();
        Database db = new ObjectSpace(memory).getDatabase("db");
        TreeMap<String, Integer> model = new TreeMap<>();
        for (int round = 0; round < 3; round++) {
            int r = round;
            db.write(tx -> {
                Dictionary d = tx.getRootObject("d") == null ? Dictionary.empty() : (Dictionary) tx.getRootObject("d");
                for (int i = 0; i < 120; i++) {
                    int k = (i * 37 + r * 11) % 200;
                    String key = String.format("%03d", k).repeat(Node.MAX_BYTES / 5);
                    if ((i + r) % 4 == 0) {
                        d = d.removeAt(key);
                        model.remove(key);
                    } else {
                        d = d.setAt(key, i);
                        model.put(key, i);
                    }
                }
                tx.setRootObject("d", d);
                return null;
            });
        }

        Dictionary read = new ObjectSpace(memory).getDatabase("db").read(tx -> (Dictionary) tx.getRootObject("d"));
        TreeMap<Object, Object> back = new TreeMap<>();
        read.forEach(e -> back.put(e.getKey(), e.getValue()));
        assertThat(back).isEqualTo(model);
        assertThat(read.count()).isEqualTo(model.size());
    }

    @Test
    void largeValueStoredInlineByAnOlderBuildReadsUnchangedAndMovesOutOfLineWhenItsLeafIsRewritten() {
        MemoryStorage storage = new MemoryStorage();
        byte[] old = blob(3, 600 * KIB);
        // a leaf as a build without out-of-line values wrote it: format 1, the large value inline
        AtomWriter w = new AtomWriter(null, 700 * KIB).begin(Tags.ATOM_LEAF);
        w.writeByte(TreeKind.SORTED.ordinal());
        w.writeVarLong(3);
        w.writeValue("a");
        w.writeValue(old);
        w.writeValue("b");
        w.writeValue(1);
        w.writeValue("c");
        w.writeValue(2);
        AtomPointer leaf = storage.push(w.toByteArray());
        TreeStore store = new TreeStore(storage, MIB);
        Dictionary d = new Dictionary(new Tree(TreeKind.SORTED, leaf, 3, store), null);
        assertThat((byte[]) d.getAt("a")).isEqualTo(old);

        // removals rewrite the leaf without splitting it
        long before = store.bytesWritten();
        Dictionary second = d.removeAt("b");
        store.persist(second);
        long rewrite = store.bytesWritten() - before;
        before = store.bytesWritten();
        Dictionary third = second.removeAt("c");
        store.persist(third);
        long next = store.bytesWritten() - before;

        assertThat(rewrite).as("the first rewrite moves the value out of line").isBetween(600L * KIB, 604L * KIB);
        assertThat(next).as("later rewrites copy its reference").isLessThan(KIB);
        Dictionary reread = new Dictionary(new Tree(TreeKind.SORTED, third.tree.rootPointer(), 1,
                new TreeStore(storage, MIB)), null);
        assertThat((byte[]) reread.getAt("a")).isEqualTo(old);
        assertThat(reread.count()).isEqualTo(1);
    }

    @Test
    void atomsHoldingReferencesCarryTheNewFormatVersionAndOthersTheFirst() {
        CountingStorage counting = new CountingStorage(new MemoryStorage());
        Database db = new ObjectSpace(counting).getDatabase("db");
        db.write(tx -> {
            tx.setRootObject("small", Dictionary.of("a", 1));
            return null;
        });
        assertThat(counting.pushed).allSatisfy(a -> assertThat(a[0]).isEqualTo(Tags.FIRST_VERSION));
        counting.reset();

        db.write(tx -> {
            tx.setRootObject("large", Dictionary.of("a", blob(1, 4 * KIB)));
            return null;
        });

        List<byte[]> leaves = counting.pushed.stream().filter(a -> a[1] == Tags.ATOM_LEAF && a[2] == 0).toList();
        assertThat(counting.pushed.stream().filter(a -> a[1] == Tags.ATOM_CHUNK))
                .singleElement().satisfies(a -> assertThat(a[0]).isEqualTo(Tags.OUT_OF_LINE_VERSION));
        assertThat(leaves).anySatisfy(a -> assertThat(a[0]).isEqualTo(Tags.OUT_OF_LINE_VERSION));
    }

    @Test
    void referencesOfEveryAtomReachChunksNestedCollectionsIndexesAndHistory() {
        MemoryStorage memory = new MemoryStorage();
        List<AtomPointer> pushed = new ArrayList<>();
        ForwardingStorage recording = new ForwardingStorage(memory) {
            @Override
            public synchronized AtomPointer push(byte[] atom) {
                AtomPointer p = super.push(atom);
                pushed.add(p);
                return p;
            }
        };
        ObjectSpace space = new ObjectSpace(recording);
        Database db = space.getDatabase("db");
        // a large list of records whose large attributes are out of line inside the list's own chunks
        List<Object> nested = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            nested.add(DbObject.of("i", i, "blob", blob(i, 3 * KIB), "note", "n".repeat(900),
                    "inner", ProtoList.of(i, blob(i + 9, 2 * KIB))));
        }
        db.write(tx -> {
            tx.setRootObject("docs", Dictionary.of("a", DbObject.of("body", "b".repeat(5 * KIB)), "n", nested)
                    .withIndex(IndexDefinition.onField("body")));
            return null;
        });
        db.write(tx -> {
            tx.setRootObject("big", blob(1, 2 * MIB + 5));
            return null;
        });

        java.util.Set<AtomPointer> reached = new java.util.HashSet<>();
        new AtomGraph(memory).forEachReachable(List.of(memory.readRoot()), java.util.Set.of(),
                (p, bytes) -> assertThat(reached.add(p)).isTrue());

        // both commits are reachable from the last root (its history link), and nothing else exists
        assertThat(reached).containsExactlyInAnyOrderElementsOf(pushed);
    }

    @Test
    void referenceInAnAtomOfTheFirstFormatIsCorruption() {
        TreeStore store = new TreeStore(new MemoryStorage(), MIB);
        byte[] atom = {Tags.FIRST_VERSION, Tags.ATOM_RECORD, Tags.OUT_OF_LINE, 0, 5, 1, 0, 0};

        assertThatThrownBy(() -> store.decodeValue(atom)).isInstanceOf(CorruptionException.class)
                .hasMessageContaining("out-of-line value in an atom of format 1");
    }

    @Test
    void atomOfANewerFormatIsRefusedAsWrittenByANewerVersion() {
        TreeStore store = new TreeStore(new MemoryStorage(), MIB);
        byte[] atom = {Tags.FORMAT_VERSION + 1, Tags.ATOM_RECORD, Tags.NULL};

        assertThatThrownBy(() -> store.decodeValue(atom)).isInstanceOf(CorruptionException.class)
                .hasMessageContaining("written by a newer ProtoBase").hasMessageContaining("upgrade ProtoBase");
    }

    @Test
    void referenceWhoseChunksHoldFewerBytesThanAnnouncedIsCorruption() {
        MemoryStorage storage = new MemoryStorage();
        AtomPointer chunk = storage.push(AtomWriter.chunkAtom(new byte[] {Tags.STRING, 1, 'x'}, 0, 3));
        AtomWriter w = new AtomWriter(null, 32).begin(Tags.ATOM_RECORD);
        w.writeOutOfLine(new io.protobase.codec.OutOfLineReference(0, 5, List.of(chunk)));
        byte[] atom = w.toByteArray();

        assertThatThrownBy(() -> new TreeStore(storage, MIB).decodeValue(atom))
                .isInstanceOf(CorruptionException.class)
                .hasMessageContaining("hold 3 bytes, the reference announces 5");
    }

    @Test
    void referenceToSomethingOtherThanAChunkIsCorruption() {
        MemoryStorage storage = new MemoryStorage();
        TreeStore store = new TreeStore(storage, MIB);
        AtomPointer record = store.writeRecord("not a chunk");
        AtomWriter w = new AtomWriter(null, 32).begin(Tags.ATOM_RECORD);
        w.writeOutOfLine(new io.protobase.codec.OutOfLineReference(0, 13, List.of(record)));
        byte[] atom = w.toByteArray();

        assertThatThrownBy(() -> store.decodeValue(atom)).isInstanceOf(CorruptionException.class)
                .hasMessageContaining("expected a chunk of an out-of-line value");
    }
}
