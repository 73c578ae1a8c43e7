package io.protobase.collection;

import io.protobase.ObjectSpace;
import io.protobase.codec.ValueOrder;
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

/**
 * Checks every secondary index of a collection against an index rebuilt from the model's records:
 * entry and key counts, lookups and counts of sampled keys (and of absent ones), and ranges between
 * sampled keys with every inclusivity and open ends, both their records and their counts. Used by
 * the collection properties, whose subjects start out indexed, so index maintenance is exercised by
 * every edit, builder, commit and reload they generate.
 */
final class IndexChecks {

    /** Indexes every record by itself. */
    static final IndexDefinition SELF = IndexDefinition.byExtractor("self", v -> v);
    /** Indexes records that are {@code DbObject}s with an attribute {@code n}. */
    static final IndexDefinition N = IndexDefinition.onField("n");

    private IndexChecks() {
    }

    /** Registers the extractors of {@link #SELF} in a newly opened space. */
    static void register(ObjectSpace space) {
        space.registerIndexExtractor("self", v -> v);
    }

    static void verify(IndexedCollection c, Collection<?> records, Random sample, String where) {
        for (SecondaryIndex index : c.indexes().values()) {
            verify(index, records, sample, where + ", " + index.definition());
        }
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
