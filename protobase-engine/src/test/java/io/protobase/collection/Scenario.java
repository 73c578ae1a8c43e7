package io.protobase.collection;

import io.protobase.collection.PersistentRoot.ReloadMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Drives a persistent collection and a {@code java.util} model of it through a generated list of
 * steps, and compares the two after every step.
 *
 * <p>Steps are edits applied through the immutable methods, edits applied through a builder (built
 * twice, with more edits in between, to prove the first build is unaffected), edits through two
 * builders of one version at once (neither may see the other's edits), commits of the
 * current version as a root object, reloads of the last commit (which then replace the current
 * version, its model reverting to the committed one), and retention of versions: up to
 * {@value #RETAINED} older versions are kept with a copy of their model and must never change,
 * whatever happens to their descendants; {@code switchTo} continues from one of them.
 *
 * @param <C> the collection
 * @param <M> its model
 * @param <T> a target edits are applied to: the immutable collection or its builder
 */
abstract class Scenario<C, M, T> {

    /** At most this many older versions are kept and checked. */
    static final int RETAINED = 4;

    /** One generated step. */
    interface Step<C, M, T> {
        void run(Scenario<C, M, T> s);
    }

    /** A change, applied identically to the model and to a target. */
    interface Edit<M, T> {
        void apply(M model, T target);
    }

    record Apply<C, M, T>(Edit<M, T> edit) implements Step<C, M, T> {
        @Override
        public void run(Scenario<C, M, T> s) {
            s.apply(edit);
        }

        @Override
        public String toString() {
            return edit.toString();
        }
    }

    record Build<C, M, T>(List<Edit<M, T>> first, List<Edit<M, T>> second) implements Step<C, M, T> {
        @Override
        public void run(Scenario<C, M, T> s) {
            s.build(first, second);
        }

        @Override
        public String toString() {
            return "builder{" + join(first) + " ; build() ; " + join(second) + " ; build()}";
        }

        static String join(List<?> edits) {
            return edits.stream().map(String::valueOf).collect(Collectors.joining(", "));
        }
    }

    /** Two builders of the same version, edited alternately: neither may see the other's edits. */
    record TwinBuild<C, M, T>(List<Edit<M, T>> first, List<Edit<M, T>> second) implements Step<C, M, T> {
        @Override
        public void run(Scenario<C, M, T> s) {
            s.twinBuild(first, second);
        }

        @Override
        public String toString() {
            return "twinBuilders{" + Build.join(first) + " | " + Build.join(second) + "}";
        }
    }

    record Commit<C, M, T>() implements Step<C, M, T> {
        @Override
        public void run(Scenario<C, M, T> s) {
            s.commit();
        }

        @Override
        public String toString() {
            return "COMMIT";
        }
    }

    record Reload<C, M, T>(ReloadMode mode) implements Step<C, M, T> {
        @Override
        public void run(Scenario<C, M, T> s) {
            s.reload(mode);
        }

        @Override
        public String toString() {
            return "RELOAD(" + mode + ")";
        }
    }

    record Retain<C, M, T>() implements Step<C, M, T> {
        @Override
        public void run(Scenario<C, M, T> s) {
            s.retain("retained");
        }

        @Override
        public String toString() {
            return "retain";
        }
    }

    record SwitchTo<C, M, T>(int which) implements Step<C, M, T> {
        @Override
        public void run(Scenario<C, M, T> s) {
            s.switchTo(which);
        }

        @Override
        public String toString() {
            return "switchTo(" + which + ")";
        }
    }

    /** A version kept to prove it never changes. */
    private record Version<C, M>(String label, C collection, M model) {
    }

    /**
     * Sequences that start by filling the collection through a builder with {@code fill} and
     * committing, followed by up to {@code maxSteps} steps drawing edits from {@code edits}; a
     * builder step applies up to {@code maxBuilderEdits} edits before and after its first build
     * ({@code 0}: no builder steps, for values without a builder).
     */
    @SuppressWarnings("unchecked")
    static <C, M, T> Arbitrary<List<Step<C, M, T>>> steps(Arbitrary<Edit<M, T>> fill, Arbitrary<Edit<M, T>> edits,
            int maxSteps, int maxBuilderEdits) {
        Arbitrary<List<Edit<M, T>>> some = edits.list().ofMaxSize(maxBuilderEdits);
        Arbitrary<Step<C, M, T>> apply = edits.map(Apply::new);
        Arbitrary<Step<C, M, T>> build = some.flatMap(a -> some.map(b -> new Build<>(a, b)));
        Arbitrary<Step<C, M, T>> commit = Arbitraries.just(new Commit<>());
        Arbitrary<Step<C, M, T>> reload = Arbitraries.of(ReloadMode.class).map(Reload::new);
        Arbitrary<Step<C, M, T>> retain = Arbitraries.just(new Retain<>());
        Arbitrary<Step<C, M, T>> switchTo = uniform(0, RETAINED - 1).map(SwitchTo::new);
        List<Tuple.Tuple2<Integer, Arbitrary<Step<C, M, T>>>> kinds = new ArrayList<>(List.of(
                Tuple.of(50, apply),
                Tuple.of(9, commit),
                Tuple.of(8, reload),
                Tuple.of(4, retain),
                Tuple.of(3, switchTo)));
        if (maxBuilderEdits > 0) {
            kinds.add(Tuple.of(8, build));
            kinds.add(Tuple.of(3, some.flatMap(a -> some.map(b -> new TwinBuild<>(a, b)))));
        }
        Arbitrary<List<Step<C, M, T>>> rest = Arbitraries.frequencyOf(kinds.toArray(Tuple.Tuple2[]::new)).list()
                .ofMaxSize(maxSteps).withSizeDistribution(RandomDistribution.uniform());
        return Combinators.combine(fill, rest).as((f, r) -> {
            List<Step<C, M, T>> all = new ArrayList<>();
            all.add(maxBuilderEdits > 0 ? new Build<>(List.of(f), List.of()) : new Apply<>(f));
            all.add(new Commit<>());
            all.addAll(r);
            return all;
        });
    }

    /** Sizes of the initial fill: empty, small (one node or two), or up to three levels of nodes. */
    static Arbitrary<Integer> fillSizes() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(0)),
                Tuple.of(2, uniform(1, 300)),
                Tuple.of(2, uniform(300, 4000)),
                Tuple.of(3, uniform(4000, 7000)));
    }

    /** Sizes of batch edits: mostly up to 100, else up to {@code max} (then many nodes split or merge). */
    static Arbitrary<Integer> batchSizes(int max) {
        return Arbitraries.frequencyOf(Tuple.of(3, uniform(1, 100)), Tuple.of(2, uniform(100, max)));
    }

    /** Ints in {@code [min, max]}, uniformly (jqwik's default favours small values). */
    static Arbitrary<Integer> uniform(int min, int max) {
        return Arbitraries.integers().between(min, max).withDistribution(RandomDistribution.uniform());
    }

    private final Class<C> type;
    private final Deque<Version<C, M>> retained = new ArrayDeque<>();
    private PersistentRoot root;
    private C current;
    private M model;
    private M committed;
    private String where = "at the start";

    Scenario(Class<C> type) {
        this.type = type;
    }

    // ------------------------------------------------------------------ what each collection supplies

    abstract C empty();

    abstract M newModel();

    abstract M copy(M model);

    /** A target applying edits through the immutable methods, starting at {@code c}. */
    abstract T immutable(C c);

    /** A target applying edits through {@code c.toBuilder()}. */
    abstract T builder(C c);

    /** The collection a target has reached (for a builder: {@code build()}, callable repeatedly). */
    abstract C result(T target);

    /** Compares every observable of {@code c} with {@code model}; {@code sample} picks what to probe. */
    abstract void verify(C c, M model, Random sample, String where);

    /** The cheap part of {@link #verify}: the entry count. */
    abstract long count(C c);

    abstract long size(M model);

    /** Whether the subject is a B+tree collection (then its size and height are reported). */
    boolean isTree() {
        return true;
    }

    /** The number of node levels of {@code c}'s tree (default: none, 0). */
    int height(C c) {
        return 0;
    }

    /** The number of node levels of a collection's B+tree; loads the leftmost path. */
    static int treeHeight(ProtoCollection c) {
        TreeOps ops = c.ops();
        Node n = ops.root(c.tree);
        int h = 0;
        while (n != null) {
            h++;
            n = n.leaf ? null : ops.node(n.vals[0]);
        }
        return h;
    }

    /** Compares the lookups a builder offers with the model (default: none). */
    void verifyBuilder(T target, M model, Random sample, String where) {
    }

    // ------------------------------------------------------------------ running

    /** Runs the steps, verifying after each, then commits, reloads in a new space and verifies again. */
    final void run(List<Step<C, M, T>> steps) {
        try (PersistentRoot r = new PersistentRoot()) {
            root = r;
            current = empty();
            model = newModel();
            commit();
            long maxSize = 0;
            int maxHeight = 0;
            for (int i = 0; i < steps.size(); i++) {
                Step<C, M, T> step = steps.get(i);
                where = "after step " + (i + 1) + "/" + steps.size() + " [" + step + "]";
                step.run(this);
                verify(current, model, new Random(i), where);
                maxSize = Math.max(maxSize, size(model));
                maxHeight = Math.max(maxHeight, height(current));
                for (Version<C, M> v : retained) {
                    assertThat(count(v.collection())).as("%s: count of %s version", where, v.label())
                            .isEqualTo(size(v.model()));
                }
            }
            if (isTree()) {
                Statistics.label("largest size").collect(maxSize < 65 ? "< 65" : maxSize < 1000 ? "65..999"
                        : maxSize < 3000 ? "1000..2999" : ">= 3000");
                Statistics.label("tallest tree (levels)").collect(maxHeight);
            }
            where = "at the end";
            verifyRetained();
            commit();
            reload(ReloadMode.NEW_SPACE);
            verify(current, model, new Random(-1), where + ", reloaded in a new space");
        }
    }

    private void apply(Edit<M, T> edit) {
        T target = immutable(current);
        edit.apply(model, target);
        current = result(target);
    }

    private void build(List<Edit<M, T>> first, List<Edit<M, T>> second) {
        retain("pre-builder");
        T target = builder(current);
        for (Edit<M, T> e : first) {
            e.apply(model, target);
        }
        verifyBuilder(target, model, new Random(first.size()), where + " (builder, before the first build)");
        C built = result(target);
        M builtModel = copy(model);
        retain("first build", built, builtModel);
        for (Edit<M, T> e : second) {
            e.apply(model, target);
        }
        verifyBuilder(target, model, new Random(second.size()), where + " (builder, before the second build)");
        current = result(target);
        verify(built, builtModel, new Random(7), where + ": first build, after the builder went on");
    }

    private void twinBuild(List<Edit<M, T>> first, List<Edit<M, T>> second) {
        retain("pre-builders");
        T one = builder(current);
        T two = builder(current);
        M modelOne = copy(model);
        for (int i = 0; i < Math.max(first.size(), second.size()); i++) {
            if (i < first.size()) {
                first.get(i).apply(modelOne, one);
            }
            if (i < second.size()) {
                second.get(i).apply(model, two);
            }
        }
        C builtOne = result(one);
        current = result(two);
        verify(builtOne, modelOne, new Random(first.size()), where + ": the first twin builder's result");
        retain("first twin", builtOne, modelOne);
    }

    private void commit() {
        root.commit(current);
        committed = copy(model);
    }

    private void reload(ReloadMode mode) {
        current = root.reload(mode, type);
        model = copy(committed);
        verifyRetained();
    }

    private void retain(String label) {
        retain(label, current, copy(model));
    }

    private void retain(String label, C collection, M m) {
        if (retained.size() == RETAINED) {
            retained.removeFirst();
        }
        retained.addLast(new Version<>(label, collection, m));
    }

    private void switchTo(int which) {
        if (retained.isEmpty()) {
            return;
        }
        List<Version<C, M>> list = new ArrayList<>(retained);
        Version<C, M> v = list.get(which % list.size());
        current = v.collection();
        model = copy(v.model());
    }

    private void verifyRetained() {
        int i = 0;
        for (Version<C, M> v : retained) {
            verify(v.collection(), v.model(), new Random(i), where + ": " + v.label() + " version #" + i);
            i++;
        }
    }

    // ------------------------------------------------------------------ comparisons with readable failures

    /** Fails at the first position where the sequences differ, or on different lengths. */
    static void assertSameSequence(String what, List<?> actual, List<?> expected) {
        int n = Math.min(actual.size(), expected.size());
        for (int i = 0; i < n; i++) {
            if (!Objects.equals(actual.get(i), expected.get(i))) {
                assertThat(actual.get(i)).as("%s: element #%d (%d elements, expected %d)", what, i, actual.size(),
                        expected.size()).isEqualTo(expected.get(i));
            }
        }
        assertThat(actual.size()).as("%s: number of elements", what).isEqualTo(expected.size());
    }

    /** At most this many keys of each kind of difference are named in a failure. */
    private static final int SHOWN = 10;

    /** Fails naming (up to {@value #SHOWN} of) the keys missing, unexpected or mapped differently (keys by equals). */
    static void assertSameMap(String what, Map<?, ?> actual, Map<?, ?> expected) {
        Map<String, Object> missing = new TreeMap<>();
        Map<String, Object> unexpected = new TreeMap<>();
        Map<String, String> different = new TreeMap<>();
        int[] counts = new int[3];
        expected.forEach((k, v) -> {
            if (!actual.containsKey(k)) {
                if (counts[0]++ < SHOWN) {
                    missing.put(KeyKind.show(k), v);
                }
            } else if (!Objects.equals(actual.get(k), v) && counts[2]++ < SHOWN) {
                different.put(KeyKind.show(k),
                        "expected " + KeyKind.show(v) + " but was " + KeyKind.show(actual.get(k)));
            }
        });
        actual.forEach((k, v) -> {
            if (!expected.containsKey(k) && counts[1]++ < SHOWN) {
                unexpected.put(KeyKind.show(k), v);
            }
        });
        assertThat(missing).as("%s: %d missing keys (%d entries, expected %d), for instance", what, counts[0],
                actual.size(), expected.size()).isEmpty();
        assertThat(unexpected).as("%s: %d unexpected keys, for instance", what, counts[1]).isEmpty();
        assertThat(different).as("%s: %d keys with other values, for instance", what, counts[2]).isEmpty();
        assertThat(actual.size()).as("%s: size", what).isEqualTo(expected.size());
    }
}
