package io.protobase.collection;

import net.jqwik.api.Tag;
import io.protobase.codec.StableHash;
import io.protobase.codec.ValueOrder;
import io.protobase.collection.CountedSetProperties.Counted;
import net.jqwik.api.statistics.StatisticsReport;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static io.protobase.collection.KeyKind.canonical;
import static io.protobase.collection.KeyKind.show;
import static io.protobase.collection.KeyKind.shown;
import static io.protobase.collection.Scenario.uniform;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RepeatedKeysDictionary} behaves like a {@code TreeMap<key, multiset of values>}: setAt
 * adds an occurrence, removeRecordAt removes one (and the key with its last value), removeAt drops
 * a whole bucket, getAt returns the bucket, count() is the number of distinct keys and
 * totalCount() the number of occurrences — through immutable edits, builders, commits and reloads.
 *
 * <p>Keys are Integers, Strings and non-integral Doubles, never two numeric types for one key, so the
 * stored form of each key is unambiguous; values do mix {@code 5} and {@code 5L} (one value).
 */
@StatisticsReport(onFailureOnly = true)
@Tag("slow")
class RepeatedKeysDictionaryProperties {

    /** The model: key → (canonical value → value as first stored, occurrences), and the sum of all. */
    static final class MultiMap {
        final TreeMap<Object, HashMap<Object, Counted>> buckets = new TreeMap<>(ValueOrder.INSTANCE);
        long total;

        void add(Object key, Object value) {
            buckets.computeIfAbsent(key, k -> new HashMap<>()).compute(canonical(value),
                    (c, old) -> new Counted(old == null ? value : old.element(), old == null ? 1 : old.count() + 1));
            total++;
        }

        void removeOne(Object key, Object value) {
            HashMap<Object, Counted> bucket = buckets.get(key);
            Counted old = bucket == null ? null : bucket.get(canonical(value));
            if (old == null) {
                return;
            }
            total--;
            if (old.count() > 1) {
                bucket.put(canonical(value), new Counted(old.element(), old.count() - 1));
            } else {
                bucket.remove(canonical(value));
                if (bucket.isEmpty()) {
                    buckets.remove(key);
                }
            }
        }

        void removeKey(Object key) {
            HashMap<Object, Counted> bucket = buckets.remove(key);
            if (bucket != null) {
                bucket.values().forEach(c -> total -= c.count());
            }
        }

        Object keyAt(int permille) {
            int rank = (int) ((long) buckets.size() * permille / 1000);
            int i = 0;
            for (Object k : buckets.keySet()) {
                if (i++ == rank) {
                    return k;
                }
            }
            throw new IllegalStateException("empty model");
        }

        MultiMap copy() {
            MultiMap m = new MultiMap();
            buckets.forEach((k, b) -> m.buckets.put(k, new HashMap<>(b)));
            m.total = total;
            return m;
        }
    }

    @Property(tries = 50, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
    void repeatedKeysDictionaryBehavesLikeSortedMultimapAcrossBuildersCommitsAndReloads(
            @ForAll("steps") List<Scenario.Step<RepeatedKeysDictionary, MultiMap, Target>> steps) {
        new RepeatedKeysDictionaryScenario().run(steps);
    }

    static final List<KeyKind> KEY_KINDS = List.of(KeyKind.INT, KeyKind.STRING, KeyKind.HALF);
    static final List<KeyKind> VALUE_KINDS = List.of(KeyKind.INT, KeyKind.LONG, KeyKind.STRING, KeyKind.TUPLE,
            KeyKind.DECIMAL, KeyKind.WHOLE_DOUBLE);

    @Provide
    Arbitrary<List<Scenario.Step<RepeatedKeysDictionary, MultiMap, Target>>> steps() {
        Arbitrary<Scenario.Edit<MultiMap, Target>> fill = Combinators.combine(Arbitraries.of(KEY_KINDS),
                uniform(-100, 100), Scenario.fillSizes().map(n -> n / 3), uniform(1, 3), uniform(1, 3),
                Arbitraries.of(VALUE_KINDS), uniform(0, 99)).as(SetRange::new);
        return Scenario.steps(fill, edits(), 30, 4);
    }

    static Arbitrary<Object> keys() {
        Arbitrary<Integer> n = Arbitraries.frequencyOf(Tuple.of(3, uniform(0, 60)), Tuple.of(2, uniform(-50, 3000)));
        return Combinators.combine(Arbitraries.of(KEY_KINDS), n).as(KeyKind::of);
    }

    static Arbitrary<Object> values() {
        return Combinators.combine(Arbitraries.of(VALUE_KINDS), uniform(0, 30)).as(KeyKind::of);
    }

    Arbitrary<Scenario.Edit<MultiMap, Target>> edits() {
        Arbitrary<Integer> batch = Scenario.batchSizes(800);
        return Arbitraries.frequencyOf(
                Tuple.of(6, Combinators.combine(keys(), values()).as(SetAt::new)),
                Tuple.of(2, Combinators.combine(keys(), values()).as(RemoveRecord::new)),
                Tuple.of(4, Combinators.combine(uniform(0, 999), uniform(0, 9), Arbitraries.of(true, false))
                        .as(RemoveRecordPresent::new)),
                Tuple.of(2, keys().map(RemoveKey::new)),
                Tuple.of(2, uniform(0, 999).map(RemoveKeyPresent::new)),
                Tuple.of(2, Combinators.combine(Arbitraries.of(KEY_KINDS), uniform(-100, 3000), batch, uniform(1, 5),
                        uniform(1, 3), Arbitraries.of(VALUE_KINDS), uniform(0, 99)).as(SetRange::new)),
                Tuple.of(1, Combinators.combine(uniform(0, 999), batch).as(RemoveKeySpan::new)),
                Tuple.of(1, Combinators.combine(uniform(0, 999), batch).as(RemoveRecordSpan::new)));
    }

    /** Applies edits through the immutable methods or through a builder. */
    static final class Target {
        private RepeatedKeysDictionary current;
        private final RepeatedKeysDictionary.Builder builder;

        Target(RepeatedKeysDictionary start, boolean useBuilder) {
            this.current = start;
            this.builder = useBuilder ? start.toBuilder() : null;
        }

        void setAt(Object k, Object v) {
            if (builder != null) {
                builder.setAt(k, v);
            } else {
                current = current.setAt(k, v);
            }
        }

        void removeRecordAt(Object k, Object v) {
            if (builder != null) {
                builder.removeRecordAt(k, v);
            } else {
                current = current.removeRecordAt(k, v);
            }
        }

        void removeAt(Object k) {
            if (builder != null) {
                builder.removeAt(k);
            } else {
                current = current.removeAt(k);
            }
        }

        RepeatedKeysDictionary result() {
            return builder != null ? builder.build() : current;
        }
    }

    record SetAt(Object key, Object value) implements Scenario.Edit<MultiMap, Target> {
        @Override
        public void apply(MultiMap model, Target t) {
            t.setAt(key, value);
            model.add(key, value);
        }

        @Override
        public String toString() {
            return "setAt(" + show(key) + ", " + show(value) + ")";
        }
    }

    /** For {@code keyCount} keys of one kind, adds {@code perKey} values, one of them twice. */
    record SetRange(KeyKind keyKind, int start, int keyCount, int step, int perKey, KeyKind valueKind, int tag)
            implements Scenario.Edit<MultiMap, Target> {
        @Override
        public void apply(MultiMap model, Target t) {
            for (int i = 0; i < keyCount; i++) {
                Object k = keyKind.of(start + i * step);
                for (int j = 0; j <= perKey; j++) {
                    Object v = valueKind.of(tag + (j == perKey ? 0 : j) + i % 3);
                    t.setAt(k, v);
                    model.add(k, v);
                }
            }
        }
    }

    record RemoveRecord(Object key, Object value) implements Scenario.Edit<MultiMap, Target> {
        @Override
        public void apply(MultiMap model, Target t) {
            t.removeRecordAt(key, value);
            model.removeOne(key, value);
        }

        @Override
        public String toString() {
            return "removeRecordAt(" + show(key) + ", " + show(value) + ")";
        }
    }

    /** Removes one occurrence of a present record, optionally naming the value with another numeric type. */
    record RemoveRecordPresent(int permille, int valueIndex, boolean otherType)
            implements Scenario.Edit<MultiMap, Target> {
        @Override
        public void apply(MultiMap model, Target t) {
            if (model.buckets.isEmpty()) {
                return;
            }
            Object k = model.keyAt(permille);
            List<Counted> bucket = new ArrayList<>(model.buckets.get(k).values());
            Object v = bucket.get(valueIndex % bucket.size()).element();
            Object named = otherType ? KeyKind.sameKeyOtherType(v) : v;
            t.removeRecordAt(k, named);
            model.removeOne(k, named);
        }
    }

    record RemoveKey(Object key) implements Scenario.Edit<MultiMap, Target> {
        @Override
        public void apply(MultiMap model, Target t) {
            t.removeAt(key);
            model.removeKey(key);
        }

        @Override
        public String toString() {
            return "removeAt(" + show(key) + ")";
        }
    }

    record RemoveKeyPresent(int permille) implements Scenario.Edit<MultiMap, Target> {
        @Override
        public void apply(MultiMap model, Target t) {
            if (model.buckets.isEmpty()) {
                return;
            }
            Object k = model.keyAt(permille);
            t.removeAt(k);
            model.removeKey(k);
        }
    }

    record RemoveKeySpan(int fromPermille, int count) implements Scenario.Edit<MultiMap, Target> {
        @Override
        public void apply(MultiMap model, Target t) {
            List<Object> keys = new ArrayList<>(model.buckets.keySet());
            int from = (int) ((long) keys.size() * fromPermille / 1000);
            for (Object k : keys.subList(from, Math.min(keys.size(), from + count))) {
                t.removeAt(k);
                model.removeKey(k);
            }
        }
    }

    /** Removes one occurrence of every record of {@code count} keys. */
    record RemoveRecordSpan(int fromPermille, int count) implements Scenario.Edit<MultiMap, Target> {
        @Override
        public void apply(MultiMap model, Target t) {
            List<Object> keys = new ArrayList<>(model.buckets.keySet());
            int from = (int) ((long) keys.size() * fromPermille / 1000);
            for (Object k : keys.subList(from, Math.min(keys.size(), from + count))) {
                for (Counted c : new ArrayList<>(model.buckets.get(k).values())) {
                    t.removeRecordAt(k, c.element());
                    model.removeOne(k, c.element());
                }
            }
        }
    }

    static final class RepeatedKeysDictionaryScenario extends Scenario<RepeatedKeysDictionary, MultiMap, Target> {

        RepeatedKeysDictionaryScenario() {
            super(RepeatedKeysDictionary.class);
        }

        @Override
        RepeatedKeysDictionary empty() {
            return RepeatedKeysDictionary.empty();
        }

        @Override
        MultiMap newModel() {
            return new MultiMap();
        }

        @Override
        MultiMap copy(MultiMap model) {
            return model.copy();
        }

        @Override
        Target immutable(RepeatedKeysDictionary c) {
            return new Target(c, false);
        }

        @Override
        Target builder(RepeatedKeysDictionary c) {
            return new Target(c, true);
        }

        @Override
        RepeatedKeysDictionary result(Target target) {
            return target.result();
        }

        @Override
        long count(RepeatedKeysDictionary c) {
            return c.count();
        }

        @Override
        long size(MultiMap model) {
            return model.buckets.size();
        }

        @Override
        int height(RepeatedKeysDictionary c) {
            return treeHeight(c);
        }

        @Override
        void verify(RepeatedKeysDictionary d, MultiMap m, Random r, String where) {
            assertThat(d.count()).as("%s: count() (distinct keys)", where).isEqualTo(m.buckets.size());
            assertThat(d.totalCount()).as("%s: totalCount()", where).isEqualTo(m.total);
            assertThat(d.isEmpty()).as("%s: isEmpty()", where).isEqualTo(m.buckets.isEmpty());
            List<Object> keys = new ArrayList<>(m.buckets.keySet());
            assertSameSequence(where + ": keys()", d.keys().toList(), keys);

            // every (key, value) pair with its occurrences, in key order, then value-hash order
            List<Object> pairKeys = new ArrayList<>();
            Map<Object, Map<Object, Counted>> actual = new HashMap<>();
            Object previousKey = null;
            long previousHash = 0;
            long sum = 0;
            for (Iterator<Map.Entry<List<Object>, Long>> it = d.entries().iterator(); it.hasNext(); ) {
                Map.Entry<List<Object>, Long> e = it.next();
                Object k = e.getKey().get(0);
                Object v = e.getKey().get(1);
                long h = StableHash.of(v);
                if (pairKeys.isEmpty() || ValueOrder.INSTANCE.compare(previousKey, k) != 0) {
                    pairKeys.add(k);
                } else {
                    assertThat(Long.compareUnsigned(previousHash, h) <= 0)
                            .as("%s: values of key %s in stable-hash order at %s", where, shown(k), shown(v)).isTrue();
                }
                Counted was = actual.computeIfAbsent(canonical(k), x -> new HashMap<>())
                        .put(canonical(v), new Counted(v, e.getValue()));
                assertThat(was).as("%s: pair (%s, %s) iterated twice", where, shown(k), shown(v)).isNull();
                previousKey = k;
                previousHash = h;
                sum += e.getValue();
            }
            assertSameSequence(where + ": keys of entries()", pairKeys, keys);
            assertThat(sum).as("%s: occurrences in entries()", where).isEqualTo(m.total);
            Map<Object, Map<Object, Counted>> expected = new HashMap<>();
            m.buckets.forEach((k, bucket) -> expected.put(canonical(k), bucket));
            assertSameMap(where + ": entries() grouped by key", actual, expected);

            int lookups = keys.size() <= 60 ? keys.size() : 32;
            for (int j = 0; j < lookups; j++) {
                Object k = keys.size() <= 60 ? keys.get(j) : keys.get(r.nextInt(keys.size()));
                verifyBucket(d, k, m.buckets.get(k), where);
            }
            for (int j = 0; j < 12; j++) {
                Object k = KEY_KINDS.get(r.nextInt(KEY_KINDS.size())).of(r.nextInt(3100) - 60);
                verifyBucket(d, k, m.buckets.get(k), where);
            }
        }

        private static void verifyBucket(RepeatedKeysDictionary d, Object k, Map<Object, Counted> expected,
                String where) {
            String what = where + ": getAt(" + show(k) + ")";
            assertThat(d.has(k)).as("%s: has(%s)", where, shown(k)).isEqualTo(expected != null);
            CountedSet bucket = d.getAt(k);
            Map<Object, Counted> actual = new HashMap<>();
            bucket.counts().forEachRemaining(
                    e -> actual.put(canonical(e.getKey()), new Counted(e.getKey(), e.getValue())));
            assertSameMap(what, actual, expected == null ? Map.of() : expected);
            long total = expected == null ? 0 : expected.values().stream().mapToLong(Counted::count).sum();
            assertThat(bucket.totalCount()).as("%s.totalCount()", what).isEqualTo(total);
            assertThat(bucket.count()).as("%s.count()", what).isEqualTo(expected == null ? 0 : expected.size());
            assertThat(d.valuesOf(k).count()).as("%s: valuesOf(%s).count()", where, shown(k))
                    .isEqualTo(expected == null ? 0 : expected.size());
        }
    }
}
