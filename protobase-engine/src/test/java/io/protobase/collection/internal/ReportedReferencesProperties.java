package io.protobase.collection.internal;

import io.protobase.codec.AtomReferences;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.collection.HashDictionary;
import io.protobase.collection.ProtoList;
import io.protobase.index.IndexDefinition;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.ForwardingStorage;
import io.protobase.storage.memory.MemoryStorage;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The references an encoder reports with each atom it pushes ({@link ReferenceRecorder}) are exactly
 * those a scan of the atom's bytes finds ({@link AtomGraph#references}), in the same order at the same
 * offsets: for nodes re-encoded from a copy (entries spliced from the base's atom, whether the base was
 * saved by this store or decoded from storage), records, values left encoded and copied as they are,
 * values moved out of line, collections and pointers nested in records.
 */
class ReportedReferencesProperties {

    /** Compares every reported push with a scan of the atom; counts pushes that came without references. */
    private static final class CheckingStorage extends ForwardingStorage implements ReferenceRecorder {
        final List<String> mismatches = new ArrayList<>();
        int reported;
        int withReferences;
        int unreported;

        CheckingStorage(long segmentBytes) {
            super(new MemoryStorage(segmentBytes));
        }

        @Override
        public AtomPointer push(byte[] atom) {
            unreported++;
            return super.push(atom);
        }

        @Override
        public AtomPointer push(byte[] atom, AtomReferences references) {
            if (!references.complete()) {
                unreported++;
            } else {
                reported++;
                AtomReferences scanned = AtomGraph.references(atom);
                if (!scanned.equals(references)) {
                    mismatches.add("reported " + references + ", scanned " + scanned);
                }
                // what compaction's graph remembers of a reported push is what it would read and scan
                AtomGraph.Links remembered = AtomGraph.Links.of(atom.length, references);
                AtomGraph.Links read = AtomGraph.Links.of(null, atom);
                if (remembered.bytes() != read.bytes() || !Arrays.equals(remembered.pointers(), read.pointers())
                        || !Arrays.equals(remembered.values(), read.values())) {
                    mismatches.add("links from the report " + remembered + ", from the bytes " + read);
                }
                if (references.size() > 0) {
                    withReferences++;
                }
            }
            return super.push(atom);
        }

        @Override
        public void held(AtomReferences references) {
            if (!references.complete()) {
                mismatches.add("incomplete references held by a value stored out of line: " + references);
            }
        }
    }

    /** A random value: scalars, large strings (stored out of line), records and collections holding more. */
    private static Object value(Random r, List<AtomPointer> records, int depth) {
        int kind = r.nextInt(depth > 1 ? 4 : 10);
        return switch (kind) {
            case 0 -> r.nextInt(1000);
            case 1 -> "s" + r.nextInt(100);
            case 2 -> "large-" + "x".repeat(1100 + r.nextInt(2000));
            case 3 -> records.isEmpty() ? 1.5 : records.get(r.nextInt(records.size()));
            case 4 -> DbObject.of("a", r.nextInt(10), "b", value(r, records, depth + 1));
            case 5 -> Dictionary.of("k", value(r, records, depth + 1), "n", r.nextInt(5));
            case 6 -> ProtoList.of(value(r, records, depth + 1), value(r, records, depth + 1));
            case 7 -> HashDictionary.empty().setAt(r.nextInt(50), value(r, records, depth + 1));
            case 8 -> List.of(value(r, records, depth + 1), "x");
            default -> DbObject.of("text", "large-" + "y".repeat(1100 + r.nextInt(500)), "n", r.nextInt(9));
        };
    }

    /**
     * Edits a dictionary at random, commits it as a record now and then, and now and then continues from
     * the record read back by a new store on the same storage (nodes decoded from storage, values left
     * encoded), with a cache small enough to evict.
     */
    private static CheckingStorage run(long seed, int steps) {
        Random r = new Random(seed);
        CheckingStorage storage = new CheckingStorage(r.nextBoolean() ? MemoryStorage.DEFAULT_SEGMENT_BYTES : 4096);
        AtomStore store = AtomStore.create(storage, r.nextBoolean() ? 1 << 20 : 32 << 10);
        List<AtomPointer> records = new ArrayList<>();
        Dictionary d = Dictionary.empty();
        if (r.nextBoolean()) {
            d = d.withIndex(IndexDefinition.onField("a"));
        }
        ProtoList list = ProtoList.empty();
        for (int i = 0; i < steps; i++) {
            int key = r.nextInt(400);
            int op = r.nextInt(10);
            if (op < 6) {
                d = d.setAt(key, value(r, records, 0));
            } else if (op < 8) {
                d = d.removeAt(key);
            } else {
                list = r.nextBoolean() || list.count() == 0 ? list.appendLast(value(r, records, 1))
                        : list.removeAt(r.nextInt((int) list.count()));
            }
            if (r.nextInt(20) == 0) {
                AtomPointer p = store.writeRecord(DbObject.of("d", d, "list", list, "i", i));
                records.add(p);
                if (r.nextInt(3) == 0) {
                    store = AtomStore.create(storage, r.nextBoolean() ? 1 << 20 : 32 << 10);
                    DbObject back = (DbObject) store.readRecord(p);
                    d = (Dictionary) back.getAt("d");
                    list = (ProtoList) back.getAt("list");
                }
            }
        }
        records.add(store.writeRecord(DbObject.of("d", d, "list", list)));
        return storage;
    }

    @Property(tries = 40, shrinking = ShrinkingMode.OFF, edgeCases = EdgeCasesMode.NONE)
    void reportedReferencesAreTheScannedOnes(@ForAll long seed) {
        CheckingStorage storage = run(seed, 300);

        assertThat(storage.mismatches).isEmpty();
        assertThat(storage.unreported).as("atoms pushed without their references").isZero();
        assertThat(storage.reported).isPositive();
    }

    @Example
    void longRunsReportReferencesOfEveryKind() {
        CheckingStorage storage = run(18, 3000);

        assertThat(storage.mismatches).isEmpty();
        assertThat(storage.unreported).isZero();
        assertThat(storage.withReferences).as("atoms holding references").isGreaterThan(100);
    }
}
