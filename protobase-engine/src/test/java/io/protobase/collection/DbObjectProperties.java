package io.protobase.collection;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;

import static io.protobase.collection.KeyKind.show;
import static io.protobase.collection.Scenario.uniform;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link DbObject} behaves like a {@code TreeMap<String, value>}: {@code with} sets (or, with
 * {@code null}, removes) an attribute, {@code without} removes one, {@code getAt}, {@code has},
 * {@code names()} and {@code count()} read — with scalar, list, nested-record and nested-collection
 * values (collections large enough to span several nodes), committed as a root and reloaded, and
 * with nested collections changed after a reload and stored back with {@code with}. (The Python
 * reference silently kept the old value when a persisted record was changed.)
 *
 * <p>Values are compared in their plain {@code java.util} form ({@link Plain#of}).
 */
class DbObjectProperties {

    static final List<String> NAMES = List.of("a", "b", "c", "d", "e", "f", "g", "h", "name", "zz");

    @Property(tries = 100, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
    void dbObjectBehavesLikeSortedMapAcrossCommitsAndReloads(
            @ForAll("steps") List<Scenario.Step<DbObject, TreeMap<String, Object>, Target>> steps) {
        new DbObjectScenario().run(steps);
    }

    @Property(tries = 200)
    void fromArraysEqualsFromAMapWhateverTheNameOrder(@ForAll long seed) {
        Random r = new Random(seed);
        List<String> names = new java.util.ArrayList<>(NAMES.subList(0, r.nextInt(NAMES.size() + 1)));
        if (r.nextBoolean()) {
            java.util.Collections.shuffle(names, r);
        }
        Object[] values = new Object[names.size()];
        java.util.Map<String, Object> map = new java.util.HashMap<>();
        for (int i = 0; i < values.length; i++) {
            values[i] = switch (r.nextInt(4)) {
                case 0 -> null;
                case 1 -> r.nextInt(100);
                case 2 -> "v" + r.nextInt(100);
                default -> List.of(r.nextInt(10), "x");
            };
            map.put(names.get(i), values[i]);
        }
        DbObject fromArrays = DbObject.from(names.toArray(new String[0]), values);
        assertThat(fromArrays).isEqualTo(DbObject.from(map));
        assertThat(fromArrays.names()).isSorted().doesNotHaveDuplicates();
        if (names.size() > 1 && values[0] != null) {
            String[] twice = names.toArray(new String[0]);
            twice[1] = twice[0];
            Object[] both = values.clone();
            both[1] = 1;
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> DbObject.from(twice, both))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(twice[0]);
        }
    }

    @Provide
    Arbitrary<List<Scenario.Step<DbObject, TreeMap<String, Object>, Target>>> steps() {
        Arbitrary<Scenario.Edit<TreeMap<String, Object>, Target>> fill = values().list().ofMaxSize(NAMES.size())
                .map(Fill::new);
        return Scenario.steps(fill, edits(), 25, 0);
    }

    // ------------------------------------------------------------------ values

    /** A generated attribute value: how to make it, and its expected plain form. */
    interface Value {
        Object make();

        Object plain();
    }

    record Scalar(Object value) implements Value {
        @Override
        public Object make() {
            return value;
        }

        @Override
        public Object plain() {
            return value;
        }

        @Override
        public String toString() {
            return value instanceof BigDecimal || value instanceof Instant || value instanceof LocalDate
                    ? value.getClass().getSimpleName() + "(" + value + ")" : show(value);
        }
    }

    /** Absent: {@code with(name, null)} removes the attribute. */
    record Null() implements Value {
        @Override
        public Object make() {
            return null;
        }

        @Override
        public Object plain() {
            return null;
        }

        @Override
        public String toString() {
            return "null";
        }
    }

    enum Shape { LIST, DICTIONARY, SET, COUNTED_SET, HASH_DICTIONARY, MULTIMAP, RECORD }

    /** A nested collection (or record holding one) of {@code n} Integer entries derived from {@code tag}. */
    record Nested(Shape shape, int n, int tag) implements Value {
        @Override
        public Object make() {
            return switch (shape) {
                case LIST -> {
                    ProtoList.Builder b = ProtoList.builder();
                    for (int i = 0; i < n; i++) {
                        b.appendLast(tag + i);
                    }
                    yield b.build();
                }
                case DICTIONARY -> {
                    Dictionary.Builder b = Dictionary.builder();
                    for (int i = 0; i < n; i++) {
                        b.setAt(tag + 2 * i, "d" + i);
                    }
                    yield b.build();
                }
                case SET -> {
                    ProtoSet.Builder b = ProtoSet.builder();
                    for (int i = 0; i < n; i++) {
                        b.add(tag + i);
                    }
                    yield b.build();
                }
                case COUNTED_SET -> {
                    CountedSet.Builder b = CountedSet.builder();
                    for (int i = 0; i < n; i++) {
                        b.add(tag + i % 50, 1 + i % 3);
                    }
                    yield b.build();
                }
                case HASH_DICTIONARY -> {
                    HashDictionary.Builder b = HashDictionary.builder();
                    for (int i = 0; i < n; i++) {
                        b.setAt(List.of(tag, i), "h" + i);
                    }
                    yield b.build();
                }
                case MULTIMAP -> {
                    RepeatedKeysDictionary.Builder b = RepeatedKeysDictionary.builder();
                    for (int i = 0; i < n; i++) {
                        b.setAt(i % 17, tag + i % 5);
                    }
                    yield b.build();
                }
                case RECORD -> DbObject.of("id", tag, "items", new Nested(Shape.LIST, n, tag).make(),
                        "inner", DbObject.of("x", "r" + tag));
            };
        }

        @Override
        public Object plain() {
            return Plain.of(make());
        }
    }

    static Arbitrary<Value> values() {
        Arbitrary<Integer> n = uniform(-1000, 1000);
        Arbitrary<Value> scalars = Arbitraries.oneOf(
                n.map(i -> new Scalar(i)),
                n.map(i -> new Scalar((long) i * 1_000_003L)),
                n.map(i -> new Scalar("s" + i)),
                n.map(i -> new Scalar(i % 2 == 0)),
                n.map(i -> new Scalar(i / 7.0)),
                n.map(i -> new Scalar(new UUID(i, -i))),
                n.map(i -> new Scalar(Instant.ofEpochSecond(1_700_000_000L + i, Math.abs(i) * 1000L))),
                n.map(i -> new Scalar(LocalDate.ofEpochDay(19_000 + i))),
                n.map(i -> new Scalar(new BigDecimal(i).movePointLeft(2))),
                n.map(i -> new Scalar(List.of(i, "l" + i, List.of((long) i)))),
                n.map(i -> new Scalar(DictionaryProperties.large(i))),
                n.map(i -> new Scalar(List.of(i, DictionaryProperties.large(i)))),
                n.map(i -> new Scalar("big" + i + "g".repeat(Math.abs(i) * 3))));
        Arbitrary<Value> nested = Combinators.combine(Arbitraries.of(Shape.class),
                Arbitraries.frequencyOf(Tuple.of(2, uniform(0, 20)), Tuple.of(1, uniform(20, 400))), n)
                .as(Nested::new);
        return Arbitraries.frequencyOf(Tuple.of(5, scalars), Tuple.of(4, nested),
                Tuple.of(1, Arbitraries.just(new Null())));
    }

    // ------------------------------------------------------------------ edits

    Arbitrary<Scenario.Edit<TreeMap<String, Object>, Target>> edits() {
        Arbitrary<String> names = Arbitraries.of(NAMES);
        return Arbitraries.frequencyOf(
                Tuple.of(5, Combinators.combine(names, values()).as(With::new)),
                Tuple.of(2, names.map(Without::new)),
                Tuple.of(4, Combinators.combine(names, uniform(-1000, 1000)).as(ChangeNested::new)));
    }

    /** Edits go through the immutable methods: a record has no builder. */
    static final class Target {
        DbObject current;

        Target(DbObject start) {
            this.current = start;
        }
    }

    /** Sets the first attributes of {@link #NAMES} to the given values. */
    record Fill(List<Value> values) implements Scenario.Edit<TreeMap<String, Object>, Target> {
        @Override
        public void apply(TreeMap<String, Object> model, Target t) {
            for (int i = 0; i < values.size(); i++) {
                new With(NAMES.get(i), values.get(i)).apply(model, t);
            }
        }
    }

    record With(String name, Value value) implements Scenario.Edit<TreeMap<String, Object>, Target> {
        @Override
        public void apply(TreeMap<String, Object> model, Target t) {
            t.current = t.current.with(name, value.make());
            if (value.plain() == null) {
                model.remove(name);
            } else {
                model.put(name, value.plain());
            }
        }

        @Override
        public String toString() {
            return "with(\"" + name + "\", " + value + ")";
        }
    }

    record Without(String name) implements Scenario.Edit<TreeMap<String, Object>, Target> {
        @Override
        public void apply(TreeMap<String, Object> model, Target t) {
            t.current = t.current.without(name);
            model.remove(name);
        }

        @Override
        public String toString() {
            return "without(\"" + name + "\")";
        }
    }

    /**
     * Changes the collection (or the record) held by an attribute — typically one read back from
     * storage and not yet loaded — and stores the result with {@code with}.
     */
    record ChangeNested(String name, int x) implements Scenario.Edit<TreeMap<String, Object>, Target> {
        @Override
        @SuppressWarnings("unchecked")
        public void apply(TreeMap<String, Object> model, Target t) {
            Object v = t.current.getAt(name);
            Object changed;
            if (v instanceof ProtoList l) {
                changed = l.count() % 2 == 0 ? l.appendLast(x) : l.setAt(l.count() / 2, x);
            } else if (v instanceof Dictionary d) {
                changed = d.setAt(x, "x" + x);
            } else if (v instanceof ProtoSet s) {
                changed = s.add(x);
            } else if (v instanceof CountedSet c) {
                changed = c.add(x, 2);
            } else if (v instanceof HashDictionary h) {
                changed = h.setAt(List.of(x, x), "hx");
            } else if (v instanceof RepeatedKeysDictionary r) {
                changed = r.setAt(x % 17, x);
            } else if (v instanceof DbObject o) {
                Object items = o.getAt("items");
                changed = o.with("items", items instanceof ProtoList l ? l.appendFirst(x) : ProtoList.of(x))
                        .with("id", x);
            } else {
                return;
            }
            t.current = t.current.with(name, changed);
            model.put(name, Plain.of(changed));
        }

        @Override
        public String toString() {
            return "changeNested(\"" + name + "\", " + x + ")";
        }
    }

    // ------------------------------------------------------------------ the scenario

    static final class DbObjectScenario extends Scenario<DbObject, TreeMap<String, Object>, Target> {

        DbObjectScenario() {
            super(DbObject.class);
        }

        @Override
        DbObject empty() {
            return DbObject.empty();
        }

        @Override
        TreeMap<String, Object> newModel() {
            return new TreeMap<>();
        }

        @Override
        TreeMap<String, Object> copy(TreeMap<String, Object> model) {
            return new TreeMap<>(model);
        }

        @Override
        Target immutable(DbObject c) {
            return new Target(c);
        }

        @Override
        Target builder(DbObject c) {
            return new Target(c);
        }

        @Override
        DbObject result(Target target) {
            return target.current;
        }

        @Override
        long count(DbObject c) {
            return c.count();
        }

        @Override
        long size(TreeMap<String, Object> model) {
            return model.size();
        }

        @Override
        boolean isTree() {
            return false;
        }

        @Override
        void verify(DbObject o, TreeMap<String, Object> m, Random r, String where) {
            assertThat(o.count()).as("%s: count()", where).isEqualTo(m.size());
            assertThat(o.names()).as("%s: names()", where).containsExactlyElementsOf(m.keySet());
            assertThat(o.asMap().keySet()).as("%s: asMap() keys", where).containsExactlyElementsOf(m.keySet());
            for (String name : NAMES) {
                Object expected = m.get(name);
                assertThat(o.has(name)).as("%s: has(\"%s\")", where, name).isEqualTo(expected != null);
                assertThat(Plain.of(o.getAt(name))).as("%s: getAt(\"%s\")", where, name).isEqualTo(expected);
            }
            DbObject copy = DbObject.from(o.asMap());
            assertThat(copy).as("%s: DbObject.from(asMap()) equals the record", where).isEqualTo(o);
            assertThat(copy.hashCode()).as("%s: hashCode of an equal record", where).isEqualTo(o.hashCode());
        }
    }
}
