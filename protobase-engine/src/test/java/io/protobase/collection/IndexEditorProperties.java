package io.protobase.collection;

import io.protobase.ConflictException;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.Transaction;
import io.protobase.index.IndexDefinition;
import io.protobase.storage.memory.MemoryStorage;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A builder buffers the index changes of its records and applies them sorted by entry, in batches
 * ({@link Indexes.Editor#PENDING_LIMIT}) and at each build. Its indexes must be exactly those of
 * applying every change on its own (one immutable {@code setAt}/{@code removeAt} at a time, which
 * applies at once) and those built afresh from the final records: same entries in the same order,
 * same counts (and, for the covering index, the same records). Runs go past one batch, build midway,
 * and update and remove records (so entries are removed as well as added, some to zero), and the
 * same edits made in a transaction on a tracked root rebase onto a concurrent commit, or conflict
 * when they read what it changed.
 */
class IndexEditorProperties {

    private static final IndexDefinition N = IndexChecks.N;
    private static final IndexDefinition SELF = IndexChecks.SELF;
    private static final IndexDefinition N_COVERING = IndexChecks.N_COVERING;

    /** One change of a dictionary: set {@code key} to {@code value}, or remove {@code key} when value is null. */
    record Op(int key, Object value) {
    }

    static List<Op> ops(long seed, int count, int keys) {
        Random r = new Random(seed);
        List<Op> ops = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int key = r.nextInt(keys);
            int kind = r.nextInt(10);
            Object value = kind == 0 ? null // removal
                    : kind == 1 ? r.nextInt(50) // a scalar record: indexed by SELF only
                    : DbObject.of("n", r.nextInt(40), "i", i); // a record indexed by both
            ops.add(new Op(key, value));
        }
        return ops;
    }

    static Dictionary apply(Dictionary d, Op op) {
        return op.value() == null ? d.removeAt(op.key()) : d.setAt(op.key(), op.value());
    }

    static void apply(Dictionary.Builder b, Op op) {
        if (op.value() == null) {
            b.removeAt(op.key());
        } else {
            b.setAt(op.key(), op.value());
        }
    }

    static Dictionary indexed() {
        return Dictionary.empty().withIndex(SELF).withIndex(N).withIndex(N_COVERING);
    }

    @Property(tries = 25)
    void builderIndexesEqualThoseOfOneChangeAtATimeAndOfARebuild(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 9_000) int count, @ForAll @IntRange(min = 1, max = 3_000) int keys) {
        List<Op> ops = ops(seed, count, keys);
        Random r = new Random(seed ^ 0x5DEECE66DL);
        // a prefix committed as one-at-a-time edits, so the builder starts from a non-empty tree
        int start = r.nextInt(count);
        Dictionary base = indexed();
        for (Op op : ops.subList(0, start)) {
            base = apply(base, op);
        }

        Dictionary.Builder b = base.toBuilder();
        Dictionary oneByOne = base;
        int buildAt = start + r.nextInt(count - start + 1);
        for (int i = start; i < count; i++) {
            if (i == buildAt) {
                assertSameIndexes(b.build(), oneByOne, "midway build after " + i + " changes");
            }
            apply(b, ops.get(i));
            oneByOne = apply(oneByOne, ops.get(i));
        }
        Dictionary built = b.build();

        assertThat(built.keys().toList()).isEqualTo(oneByOne.keys().toList());
        assertSameIndexes(built, oneByOne, "builder vs one at a time");
        assertSameIndexes(built, rebuilt(oneByOne), "builder vs rebuilt");
        IndexChecks.verify(built, oneByOne.values().toList(), r, "after " + count + " changes");
    }

    @Property(tries = 15)
    void builderEditsOfATrackedRootRebaseOntoAConcurrentCommitOrConflictOnWhatTheyRead(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 6_000) int count, @ForAll @IntRange(min = 0, max = 30) int theirs,
            @ForAll boolean overlap) {
        try (ObjectSpace space = new ObjectSpace(new MemoryStorage())) {
            IndexChecks.register(space);
            Database db = space.getDatabase("db");
            List<Op> initial = ops(seed, 500, 2_000);
            db.write(tx -> {
                Dictionary d = indexed();
                for (Op op : initial) {
                    d = apply(d, op);
                }
                tx.setRootObject("d", d);
                return null;
            });
            // mine: blind writes to keys 10_000.. (no reads), plus a read of every key in 'read'
            List<Op> mine = new ArrayList<>();
            for (Op op : ops(seed + 1, count, 3_000)) {
                mine.add(new Op(10_000 + op.key(), op.value()));
            }
            Set<Integer> read = new TreeSet<>();
            for (int i = 0; i < 5; i++) {
                read.add(i * 97);
            }
            // theirs: writes to keys below 2_000, which touch a key I read only when overlapping
            List<Op> others = new ArrayList<>();
            for (Op op : ops(seed + 2, theirs, 2_000)) {
                others.add(new Op(overlap ? op.key() : 5_000 + op.key(), op.value()));
            }
            if (overlap) {
                others.add(new Op(97, DbObject.of("n", 1)));
            }

            Transaction tx = db.newTransaction();
            Dictionary.Builder b = tx.getRootObject("d", Dictionary.class).toBuilder();
            read.forEach(b::has);
            mine.forEach(op -> apply(b, op));
            tx.setRootObject("d", b.build());

            Dictionary committedBefore = db.write(t -> {
                Dictionary d = t.getRootObject("d", Dictionary.class);
                for (Op op : others) {
                    d = apply(d, op);
                }
                t.setRootObject("d", d);
                return d;
            });

            if (overlap) {
                assertThatThrownBy(tx::commit).isInstanceOf(ConflictException.class);
                return;
            }
            tx.commit();
            Dictionary expected = db.read(t -> t.getRootObject("d", Dictionary.class));
            Dictionary sequential = committedBefore;
            for (Op op : mine) {
                sequential = apply(sequential, op);
            }
            assertThat(expected.keys().toList()).isEqualTo(sequential.keys().toList());
            assertSameIndexes(expected, sequential, "rebased builder vs theirs then mine one at a time");
            assertSameIndexes(expected, rebuilt(sequential), "rebased builder vs rebuilt");
        }
    }

    private static Dictionary rebuilt(Dictionary d) {
        return d.withoutIndex(SELF.name()).withoutIndex(N.name()).withoutIndex(N_COVERING.name())
                .withIndex(SELF).withIndex(N).withIndex(N_COVERING);
    }

    private static void assertSameIndexes(Dictionary actual, Dictionary expected, String where) {
        for (String name : List.of(SELF.name(), N.name(), N_COVERING.name())) {
            RepeatedKeysDictionary a = actual.indexes.get(name).entries();
            RepeatedKeysDictionary e = expected.indexes.get(name).entries();
            assertThat(pairs(a)).as("%s: entries of %s", where, name).isEqualTo(pairs(e));
            assertThat(a.count()).as("%s: distinct keys of %s", where, name).isEqualTo(e.count());
            assertThat(a.totalCount()).as("%s: entry count of %s", where, name).isEqualTo(e.totalCount());
        }
    }

    /** Every stored entry in tree order: key, id and count (or, in a covering index, the record), in plain form. */
    private static List<Object> pairs(RepeatedKeysDictionary d) {
        List<Object> out = new ArrayList<>();
        for (TreeCursor c = TreeCursor.atIndex(d.ops(), d.tree, 0); c.valid(); c.next()) {
            PairKey p = (PairKey) c.key();
            out.add(java.util.Arrays.asList(Plain.of(Values.exposed(p.key())), Plain.of(Values.exposed(p.value())),
                    Plain.of(Values.exposed(c.value()))));
        }
        return out;
    }
}
