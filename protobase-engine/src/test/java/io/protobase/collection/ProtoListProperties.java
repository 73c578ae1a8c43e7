package io.protobase.collection;

import net.jqwik.api.Tag;
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
import java.util.List;
import java.util.Random;

import static io.protobase.collection.KeyKind.show;
import static io.protobase.collection.Scenario.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link ProtoList} behaves like an {@link ArrayList}: positional get/set/insert/remove with
 * negative indexes counting from the end, append at either end, head/tail/slice with clamped
 * bounds, extend — through immutable edits, builders, commits and reloads from storage, on lists of
 * up to several thousand elements.
 *
 * <p>Positions are generated relative to the size or to leaf boundaries (see {@link Pos}) so
 * that cuts land anywhere, including just inside and just outside both ends and nodes.
 */
@StatisticsReport(onFailureOnly = true)
@Tag("slow")
class ProtoListProperties {

    @Property(tries = 100, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
    void protoListBehavesLikeArrayListAcrossBuildersCommitsAndReloads(
            @ForAll("steps") List<Scenario.Step<ProtoList, List<Object>, Target>> steps) {
        new ProtoListScenario().run(steps);
    }

    @Provide
    Arbitrary<List<Scenario.Step<ProtoList, List<Object>, Target>>> steps() {
        Arbitrary<Scenario.Edit<List<Object>, Target>> fill = Combinators.combine(Scenario.fillSizes(), uniform(0, 99))
                .as(Extend::new);
        return Scenario.steps(fill, edits(), 30, 4);
    }

    static Arbitrary<Object> elements() {
        Arbitrary<Integer> n = uniform(-1_000_000, 1_000_000);
        return Arbitraries.frequencyOf(
                Tuple.of(5, n.map(i -> (Object) i)),
                Tuple.of(2, n.map(i -> (Object) ("e" + i))),
                Tuple.of(1, n.map(i -> (Object) (long) i)),
                Tuple.of(1, n.map(i -> (Object) List.of(i, "x"))),
                Tuple.of(1, n.map(i -> (Object) ("large" + i).repeat(Math.abs(i % 500)))),
                Tuple.of(2, Arbitraries.of(ZEROS)),
                Tuple.of(1, Arbitraries.just(null)));
    }

    /**
     * Elements equal as keys but of different exact types, mixed on purpose: a list holds each as
     * stored, and its indexes (by itself and on {@code n}) must return each as stored.
     */
    static final Object[] ZEROS = {0, 0L, 0.0, List.of(0, "x"), List.of(0L, "x"), DbObject.of("n", 0),
        DbObject.of("n", 0L), DbObject.of("n", 0.0)};

    Arbitrary<Scenario.Edit<List<Object>, Target>> edits() {
        Arbitrary<Pos> pos = positions();
        Arbitrary<Integer> batch = Scenario.batchSizes(2500);
        Arbitrary<Boolean> negative = Arbitraries.of(false, true);
        return Arbitraries.frequencyOf(
                Tuple.of(3, elements().map(AppendLast::new)),
                Tuple.of(2, elements().map(AppendFirst::new)),
                Tuple.of(4, Combinators.combine(pos, negative, elements()).as(InsertAt::new)),
                Tuple.of(4, Combinators.combine(pos, negative, elements()).as(SetAt::new)),
                Tuple.of(4, Combinators.combine(pos, negative).as(RemoveAt::new)),
                Tuple.of(1, Arbitraries.just(new RemoveFirst())),
                Tuple.of(1, Arbitraries.just(new RemoveLast())),
                Tuple.of(3, pos.map(Head::new)),
                Tuple.of(3, pos.map(Tail::new)),
                Tuple.of(3, Combinators.combine(pos, pos).as(Slice::new)),
                Tuple.of(2, Combinators.combine(batch, uniform(0, 99)).as(Extend::new)),
                Tuple.of(2, Combinators.combine(pos, batch, uniform(0, 99)).as(InsertBatch::new)),
                Tuple.of(2, Combinators.combine(pos, batch).as(RemoveSpan::new)),
                Tuple.of(1, Combinators.combine(uniform(1, 6), uniform(0, 5)).as(RemoveEvery::new)));
    }

    /** Applies edits through the immutable methods or through a builder. */
    static final class Target {
        private ProtoList current;
        private final ProtoList.Builder builder;

        Target(ProtoList start, boolean useBuilder) {
            this.current = start;
            this.builder = useBuilder ? start.toBuilder() : null;
        }

        long size() {
            return builder != null ? builder.count() : current.count();
        }

        void setAt(long i, Object v) {
            if (builder != null) {
                builder.setAt(i, v);
            } else {
                current = current.setAt(i, v);
            }
        }

        void insertAt(long i, Object v) {
            if (builder != null) {
                builder.insertAt(i, v);
            } else {
                current = current.insertAt(i, v);
            }
        }

        void removeAt(long i) {
            if (builder != null) {
                builder.removeAt(i);
            } else {
                current = current.removeAt(i);
            }
        }

        void appendLast(Object v) {
            if (builder != null) {
                builder.appendLast(v);
            } else {
                current = current.appendLast(v);
            }
        }

        void appendFirst(Object v) {
            if (builder != null) {
                builder.appendFirst(v);
            } else {
                current = current.appendFirst(v);
            }
        }

        void removeFirst() {
            if (builder != null) {
                builder.removeAt(0);
            } else {
                current = current.removeFirst();
            }
        }

        void removeLast() {
            if (builder != null) {
                builder.removeAt(-1);
            } else {
                current = current.removeLast();
            }
        }

        void head(long k) {
            if (builder != null) {
                builder.head(k);
            } else {
                current = current.head(k);
            }
        }

        void tail(long k) {
            if (builder != null) {
                builder.tail(k);
            } else {
                current = current.tail(k);
            }
        }

        void slice(long from, long to) {
            if (builder != null) {
                builder.slice(from, to);
            } else {
                current = current.slice(from, to);
            }
        }

        void extend(List<Object> values) {
            if (builder != null) {
                values.forEach(builder::appendLast);
            } else {
                current = current.extend(values);
            }
        }

        ProtoList result() {
            return builder != null ? builder.build() : current;
        }
    }

    /**
     * A position: {@code size * permille / 1000 + delta}, or {@code 64 * node + delta} when
     * {@code node >= 0} (the leaf boundaries of a list built by appending, where cuts are most
     * delicate). {@link #raw} may lie outside the list; {@link #in} clamps to {@code [0, size]}.
     */
    record Pos(int permille, int node, int delta) {
        long raw(List<Object> model) {
            long base = node >= 0 ? (long) Node.MAX * node : (long) model.size() * permille / 1000;
            return base + delta;
        }

        int in(List<Object> model) {
            return clamp(raw(model), 0, model.size());
        }

        @Override
        public String toString() {
            String d = delta == 0 ? "" : (delta > 0 ? "+" : "") + delta;
            return (node >= 0 ? "64*" + node : "size*" + permille + "/1000") + d;
        }
    }

    static Arbitrary<Pos> positions() {
        Arbitrary<Integer> delta = Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(0)),
                Tuple.of(2, uniform(-3, 3)));
        return Combinators.combine(uniform(0, 1000), Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(-1)),
                Tuple.of(1, uniform(0, 100))), delta).as(Pos::new);
    }

    static int clamp(long v, int lo, int hi) {
        return (int) Math.max(lo, Math.min(hi, v));
    }

    record AppendLast(Object value) implements Scenario.Edit<List<Object>, Target> {
        @Override
        public void apply(List<Object> model, Target t) {
            t.appendLast(value);
            model.add(value);
        }

        @Override
        public String toString() {
            return "appendLast(" + show(value) + ")";
        }
    }

    record AppendFirst(Object value) implements Scenario.Edit<List<Object>, Target> {
        @Override
        public void apply(List<Object> model, Target t) {
            t.appendFirst(value);
            model.add(0, value);
        }

        @Override
        public String toString() {
            return "appendFirst(" + show(value) + ")";
        }
    }

    /** Inserts before a position, named from the end when {@code negative}. */
    record InsertAt(Pos pos, boolean negative, Object value) implements Scenario.Edit<List<Object>, Target> {
        @Override
        public void apply(List<Object> model, Target t) {
            int i = pos.in(model);
            long index = negative && i < model.size() ? i - model.size() : i;
            t.insertAt(index, value);
            model.add(i, value);
        }

        @Override
        public String toString() {
            return "insertAt(" + pos + (negative ? " as negative" : "") + ", " + show(value) + ")";
        }
    }

    record SetAt(Pos pos, boolean negative, Object value) implements Scenario.Edit<List<Object>, Target> {
        @Override
        public void apply(List<Object> model, Target t) {
            int i = pos.in(model);
            if (i == model.size()) {
                assertThatThrownBy(() -> t.setAt(i, value)).as("setAt(count())")
                        .isInstanceOf(IndexOutOfBoundsException.class);
                return;
            }
            t.setAt(negative ? i - model.size() : i, value);
            model.set(i, value);
        }

        @Override
        public String toString() {
            return "setAt(" + pos + (negative ? " as negative" : "") + ", " + show(value) + ")";
        }
    }

    record RemoveAt(Pos pos, boolean negative) implements Scenario.Edit<List<Object>, Target> {
        @Override
        public void apply(List<Object> model, Target t) {
            int i = pos.in(model);
            if (i == model.size()) {
                assertThatThrownBy(() -> t.removeAt(i)).as("removeAt(count())")
                        .isInstanceOf(IndexOutOfBoundsException.class);
                if (!model.isEmpty()) {
                    assertThatThrownBy(() -> t.removeAt(-model.size() - 1)).as("removeAt(-count() - 1)")
                            .isInstanceOf(IndexOutOfBoundsException.class);
                }
                return;
            }
            t.removeAt(negative ? i - model.size() : i);
            model.remove(i);
        }

        @Override
        public String toString() {
            return "removeAt(" + pos + (negative ? " as negative" : "") + ")";
        }
    }

    record RemoveFirst() implements Scenario.Edit<List<Object>, Target> {
        @Override
        public void apply(List<Object> model, Target t) {
            if (model.isEmpty()) {
                if (t.builder == null) {
                    t.removeFirst();
                }
                return;
            }
            t.removeFirst();
            model.remove(0);
        }

        @Override
        public String toString() {
            return "removeFirst()";
        }
    }

    record RemoveLast() implements Scenario.Edit<List<Object>, Target> {
        @Override
        public void apply(List<Object> model, Target t) {
            if (model.isEmpty()) {
                if (t.builder == null) {
                    t.removeLast();
                }
                return;
            }
            t.removeLast();
            model.remove(model.size() - 1);
        }

        @Override
        public String toString() {
            return "removeLast()";
        }
    }

    record Head(Pos pos) implements Scenario.Edit<List<Object>, Target> {
        @Override
        public void apply(List<Object> model, Target t) {
            long k = pos.raw(model);
            t.head(k);
            model.subList(clamp(k, 0, model.size()), model.size()).clear();
        }

        @Override
        public String toString() {
            return "head(" + pos + ")";
        }
    }

    record Tail(Pos pos) implements Scenario.Edit<List<Object>, Target> {
        @Override
        public void apply(List<Object> model, Target t) {
            long k = pos.raw(model);
            t.tail(k);
            model.subList(0, clamp(k, 0, model.size())).clear();
        }

        @Override
        public String toString() {
            return "tail(" + pos + ")";
        }
    }

    record Slice(Pos from, Pos to) implements Scenario.Edit<List<Object>, Target> {
        @Override
        public void apply(List<Object> model, Target t) {
            long a = from.raw(model);
            long b = to.raw(model);
            t.slice(a, b);
            int f = clamp(a, 0, model.size());
            int e = clamp(b, f, model.size());
            model.subList(e, model.size()).clear();
            model.subList(0, f).clear();
        }

        @Override
        public String toString() {
            return "slice(" + from + ", " + to + ")";
        }
    }

    record Extend(int count, int tag) implements Scenario.Edit<List<Object>, Target> {
        @Override
        public void apply(List<Object> model, Target t) {
            List<Object> values = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                // every fifth extension mixes elements equal but for their numeric type, many times each
                values.add(tag % 3 == 0 ? "x" + tag + "." + i : tag % 5 == 4 ? ZEROS[(tag + i) % ZEROS.length]
                        : tag * 100_000 + i);
            }
            t.extend(values);
            model.addAll(values);
        }
    }

    /** Inserts {@code count} elements one after another at one position: splits in the middle of the list. */
    record InsertBatch(Pos pos, int count, int tag) implements Scenario.Edit<List<Object>, Target> {
        @Override
        public void apply(List<Object> model, Target t) {
            int at = pos.in(model);
            for (int i = 0; i < count; i++) {
                Object v = "i" + tag + "." + i;
                t.insertAt(at + i, v);
                model.add(at + i, v);
            }
        }
    }

    record RemoveSpan(Pos pos, int count) implements Scenario.Edit<List<Object>, Target> {
        @Override
        public void apply(List<Object> model, Target t) {
            int at = pos.in(model);
            int n = Math.min(count, model.size() - at);
            for (int i = 0; i < n; i++) {
                t.removeAt(at);
                model.remove(at);
            }
        }
    }

    /** Removes the positions {@code offset mod nth} (from the back): underfills every node at once. */
    record RemoveEvery(int nth, int offset) implements Scenario.Edit<List<Object>, Target> {
        @Override
        public void apply(List<Object> model, Target t) {
            int first = offset % nth;
            if (model.size() <= first) {
                return;
            }
            int last = first + (model.size() - 1 - first) / nth * nth;
            for (int i = last; i >= first; i -= nth) {
                t.removeAt(i);
                model.remove(i);
            }
        }
    }

    static final class ProtoListScenario extends Scenario<ProtoList, List<Object>, Target> {

        ProtoListScenario() {
            super(ProtoList.class);
        }

        @Override
        ProtoList empty() {
            return ProtoList.empty().withIndex(IndexChecks.SELF).withIndex(IndexChecks.N)
                    .withIndex(IndexChecks.N_COVERING);
        }

        @Override
        List<Object> newModel() {
            return new ArrayList<>();
        }

        @Override
        List<Object> copy(List<Object> model) {
            return new ArrayList<>(model);
        }

        @Override
        Target immutable(ProtoList c) {
            return new Target(c, false);
        }

        @Override
        Target builder(ProtoList c) {
            return new Target(c, true);
        }

        @Override
        ProtoList result(Target target) {
            return target.result();
        }

        @Override
        long count(ProtoList c) {
            return c.count();
        }

        @Override
        long size(List<Object> model) {
            return model.size();
        }

        @Override
        int height(ProtoList c) {
            return treeHeight(c);
        }

        @Override
        void verify(ProtoList l, List<Object> m, Random r, String where) {
            IndexChecks.verify(l, m, r, where);
            int n = m.size();
            assertThat(l.count()).as("%s: count()", where).isEqualTo(n);
            assertThat(l.isEmpty()).as("%s: isEmpty()", where).isEqualTo(m.isEmpty());
            List<Object> actual = new ArrayList<>(n);
            l.forEach(actual::add);
            assertSameSequence(where + ": elements", actual, m);
            assertThat(l.asList().size()).as("%s: asList().size()", where).isEqualTo(n);
            assertThat(l.stream().count()).as("%s: stream().count()", where).isEqualTo(n);

            // every position of a small list; else both ends, every 47th (some in each leaf) and random ones
            List<Integer> positions = new ArrayList<>();
            for (int i = 0; i < n; i += n <= 200 ? 1 : 47) {
                positions.add(i);
            }
            for (int j = 0; n > 200 && j < 32; j++) {
                positions.add(j < 2 ? n - 1 - j : r.nextInt(n));
            }
            for (int i : positions) {
                assertThat(l.getAt(i)).as("%s: getAt(%d)", where, i).isEqualTo(m.get(i));
                assertThat(l.getAt(i - n)).as("%s: getAt(%d)", where, i - n).isEqualTo(m.get(i));
            }
            if (n > 0) {
                int i = r.nextInt(n);
                assertThat(l.asList().get(i)).as("%s: asList().get(%d)", where, i).isEqualTo(m.get(i));
                List<Object> from = new ArrayList<>();
                l.iterator(i).forEachRemaining(from::add);
                assertSameSequence(where + ": iterator(" + i + ")", from, m.subList(i, n));
            }
            assertThatThrownBy(() -> l.getAt(n)).as("%s: getAt(count())", where)
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> l.getAt(-n - 1)).as("%s: getAt(-count() - 1)", where)
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> l.setAt(n, "x")).as("%s: setAt(count())", where)
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> l.insertAt(n + 1, "x")).as("%s: insertAt(count() + 1)", where)
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }

        @Override
        void verifyBuilder(Target t, List<Object> m, Random r, String where) {
            assertThat(t.builder.count()).as("%s: builder count()", where).isEqualTo(m.size());
            for (int j = 0; j < Math.min(32, m.size()); j++) {
                int i = r.nextInt(m.size());
                assertThat(t.builder.getAt(i)).as("%s: builder getAt(%d)", where, i).isEqualTo(m.get(i));
            }
        }
    }
}
