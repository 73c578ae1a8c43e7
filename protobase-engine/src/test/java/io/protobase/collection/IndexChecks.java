package io.protobase.collection;

import io.protobase.ObjectSpace;
import io.protobase.codec.ValueOrder;
import io.protobase.collection.internal.TreeKind;
import io.protobase.index.IndexDefinition;
import io.protobase.index.IndexedCollection;
import io.protobase.index.SecondaryIndex;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Checks every secondary index of a collection against an index rebuilt from the model's records:
 * entry and key counts, lookups and counts of sampled keys (and of absent ones), and ranges between
 * sampled keys with every inclusivity and open ends, both their records and their counts; and that
 * its stored entries equal, pair by pair (and record copy by record copy for a covering index), those
 * of the same index built from scratch over the collection's records. Used by the
 * collection properties, whose subjects start out indexed (plain and covering), so index maintenance
 * is exercised by every edit, builder, commit and reload they generate.
 */
final class IndexChecks {

    /** Indexes every record by itself. */
    static final IndexDefinition SELF = IndexDefinition.byExtractor("self", v -> v);
    /** Indexes records that are {@code DbObject}s with an attribute {@code n}. */
    static final IndexDefinition N = IndexDefinition.onField("n");
    /** A covering index on the attribute {@code n} (for lists and sets: covering by construction anyway). */
    static final IndexDefinition N_COVERING = IndexDefinition.onField("n covering", "n").covering();
    /**
     * A covering index of every record, null and collections included, under the name of its type
     * (scalars spread over 64 keys by hash): its entries hold a copy of every record of a dictionary
     * (not for lists and sets, whose indexed elements must be orderable).
     */
    static final IndexDefinition TYPE_COVERING = IndexDefinition.byExtractor("type", IndexChecks::typeOf).covering();

    private IndexChecks() {
    }

    private static Object typeOf(Object record) {
        if (record == null) {
            return "null";
        }
        String type = record instanceof List<?> ? "List" : record.getClass().getSimpleName();
        boolean scalar = record instanceof String || record instanceof Number || record instanceof Boolean;
        return scalar ? type + ":" + Math.floorMod(record.hashCode(), 64) : type;
    }

    /** Registers the extractors of {@link #SELF} and {@link #TYPE_COVERING} in a newly opened space. */
    static void register(ObjectSpace space) {
        space.registerIndexExtractor("self", v -> v);
        space.registerIndexExtractor("type", IndexChecks::typeOf);
    }

    static void verify(IndexedCollection c, Collection<?> records, Random sample, String where) {
        for (SecondaryIndex index : c.indexes().values()) {
            verify(index, records, sample, where + ", " + index.definition());
            assertThat(index.isCovering()).as("%s, %s: isCovering()", where, index.definition())
                    .isEqualTo(index.definition().isCovering() || c instanceof ProtoList || c instanceof ProtoSet);
        }
        if (sample.nextBoolean()) {
            verifyRebuilt((ProtoCollection) c, where);
        }
    }

    /**
     * Each index's entries equal, pair by pair and leaf value by leaf value, the entries of the same
     * index built afresh from the collection's records (a rebuild costs as much as all the lookups,
     * ranges and counts above, so it is done for a random half of the checks). The pairs of a list's
     * index are compared by exact form: maintained and rebuilt, {@code 0} and {@code 0L} are two pairs.
     * Those of a dictionary or set are compared as keys, since a dictionary's pair names its key with
     * the numeric type the last writer used, which a rebuild does not know.
     */
    static void verifyRebuilt(ProtoCollection c, String where) {
        for (Indexes.Index index : c.indexes.all()) {
            String what = where + ", " + index.definition() + " against one built from scratch";
            RepeatedKeysDictionary got = index.entries();
            RepeatedKeysDictionary want = Indexes.build(index.definition(), c.tree.kind(),
                    c.replayBuilder()::forEachRecord).entries();
            assertThat(got.tree.kind()).as("%s: kind of entry tree", what).isEqualTo(want.tree.kind());
            assertThat(got.tree.size()).as("%s: pairs", what).isEqualTo(want.tree.size());
            assertThat(got.keyCount).as("%s: distinct keys", what).isEqualTo(want.keyCount);
            assertThat(got.total).as("%s: total", what).isEqualTo(want.total);
            boolean exact = want.tree.kind() == TreeKind.PAIRED_EXACT;
            TreeCursor a = TreeCursor.atIndex(got.ops(), got.tree, 0);
            TreeCursor b = TreeCursor.atIndex(want.ops(), want.tree, 0);
            for (long i = 0; i < want.tree.size(); i++) {
                PairKey pa = (PairKey) a.key();
                PairKey pb = (PairKey) b.key();
                if (exact ? !Values.same(pa.value(), pb.value()) || !Values.same(pa.key(), pb.key())
                        : PairKey.ORDER.compare(pa, pb) != 0) {
                    fail("%s: pair #%d is %s -> %s, expected %s -> %s", what, i, typed(pa.key()), typed(pa.value()),
                            typed(pb.key()), typed(pb.value()));
                }
                Object va = a.value();
                Object vb = b.value();
                if (!Values.same(va, vb) && !java.util.Objects.equals(Plain.of(va), Plain.of(vb))) {
                    assertThat(Plain.of(va)).as("%s: value of pair #%d %s", what, i, pa).isEqualTo(Plain.of(vb));
                }
                a.next();
                b.next();
            }
        }
    }

    private static String typed(Object v) {
        return KeyKind.show(v) + (v == null ? "" : " (" + v.getClass().getSimpleName() + ")");
    }

    private static void verify(SecondaryIndex index, Collection<?> records, Random r, String where) {
        TreeMap<Object, List<Object>> expected = new TreeMap<>(ValueOrder.INSTANCE);
        long entries = 0;
        for (Object record : records) {
            for (Object key : index.definition().keysOf(record)) {
                expected.computeIfAbsent(key, k -> new ArrayList<>()).add(Plain.of(record));
                entries++;
            }
        }
        assertThat(index.entryCount()).as("%s: entryCount()", where).isEqualTo(entries);
        assertThat(index.distinctKeys()).as("%s: distinctKeys()", where).isEqualTo(expected.size());
        List<Object> keys = new ArrayList<>(expected.keySet());
        for (int probe = 0; probe < 4 && !keys.isEmpty(); probe++) {
            Object key = keys.get(r.nextInt(keys.size()));
            assertThat(plain(index.lookup(key).toList())).as("%s: lookup(%s)", where, key)
                    .containsExactlyInAnyOrderElementsOf(expected.get(key));
            assertThat(index.count(key)).as("%s: count(%s)", where, key).isEqualTo(expected.get(key).size());
        }
        Object absent = "\uffff-absent";
        assertThat(index.lookup(absent).toList()).as("%s: lookup of an absent key", where)
                .hasSize(expected.getOrDefault(absent, List.of()).size());
        assertThat(index.lookup(null).toList()).as("%s: lookup(null)", where).isEmpty();
        for (int probe = 0; probe < 3 && !keys.isEmpty(); probe++) {
            Object a = keys.get(r.nextInt(keys.size()));
            Object b = keys.get(r.nextInt(keys.size()));
            if (!ValueOrder.INSTANCE.comparable(a, b)) {
                b = a;
            }
            if (ValueOrder.INSTANCE.compare(a, b) > 0) {
                Object t = a;
                a = b;
                b = t;
            }
            boolean fromInclusive = r.nextBoolean();
            boolean toInclusive = r.nextBoolean();
            boolean openFrom = r.nextInt(4) == 0;
            boolean openTo = !openFrom && r.nextInt(4) == 0;
            Object from = openFrom ? Dictionary.UNBOUNDED : a;
            Object to = openTo ? Dictionary.UNBOUNDED : b;
            Object group = a;
            List<Object> want = new ArrayList<>();
            List<Object> wantKeys = new ArrayList<>();
            for (Map.Entry<Object, List<Object>> e : expected.entrySet()) {
                Object k = e.getKey();
                if (!ValueOrder.INSTANCE.comparable(k, group)) {
                    continue;
                }
                int ca = ValueOrder.INSTANCE.compare(k, a);
                int cb = ValueOrder.INSTANCE.compare(k, b);
                boolean above = openFrom || (fromInclusive ? ca >= 0 : ca > 0);
                boolean below = openTo || (toInclusive ? cb <= 0 : cb < 0);
                if (above && below) {
                    want.addAll(e.getValue());
                    for (int i = 0; i < e.getValue().size(); i++) {
                        wantKeys.add(k);
                    }
                }
            }
            String range = (openFrom ? "(-inf" : (fromInclusive ? "[" : "(") + a) + ", "
                    + (openTo ? "+inf)" : b + (toInclusive ? "]" : ")"));
            List<Object> got = index.range(from, fromInclusive, to, toInclusive).toList();
            assertThat(plain(got)).as("%s: range %s", where, range).containsExactlyInAnyOrderElementsOf(want);
            assertThat(index.countRange(from, fromInclusive, to, toInclusive)).as("%s: countRange %s", where, range)
                    .isEqualTo(want.size());
        }
    }

    private static List<Object> plain(List<Object> records) {
        List<Object> out = new ArrayList<>(records.size());
        records.forEach(x -> out.add(Plain.of(x)));
        return out;
    }
}
