package io.protobase.query;

import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * An equi-join of two plans on explicit key selectors, as a hash join: the right input is read once
 * into a hash table by key (the build side, held in memory), then the left input streams past it
 * (the probe side, never held). Output order: left input order, each left record's matches in right
 * input order; for {@link Type#RIGHT} and {@link Type#FULL} the unmatched right records follow, in
 * right input order.
 *
 * <p>Keys match as in {@link Expression} equality ({@code 1} matches {@code 1L}); a missing key
 * ({@code null} or absent) matches nothing, as in SQL, so such records only appear unmatched in outer
 * joins. Each output is {@code combiner(left, right)} with {@code null} for the missing side of an
 * outer join; the default combiner makes an unmodifiable {@code Map} {@code {left: l, right: r}}
 * (dotted paths such as {@code "right.price"} reach into it).
 */
public final class JoinPlan implements QueryPlan {

    /** Which unmatched records an outer join keeps. */
    public enum Type {
        /** Matched pairs only. */
        INNER,
        /** Matched pairs and unmatched left records. */
        LEFT,
        /** Matched pairs and unmatched right records. */
        RIGHT,
        /** Matched pairs and unmatched records of both sides. */
        FULL
    }

    private final QueryPlan left;
    private final QueryPlan right;
    private final Function<@Nullable Object, ?> leftKey;
    private final Function<@Nullable Object, ?> rightKey;
    private final Type type;
    private final BiFunction<@Nullable Object, @Nullable Object, ?> combiner;

    /**
     * Joins with the default {@code {left, right}} row combiner ({@link #pair}).
     *
     * @param left     the probe side, streamed
     * @param right    the build side, held in memory while the join runs
     * @param leftKey  the key of a left record
     * @param rightKey the key of a right record
     * @param type     which unmatched records to keep
     * @throws NullPointerException if an argument is {@code null}
     */
    public JoinPlan(QueryPlan left, QueryPlan right, Function<@Nullable Object, ?> leftKey,
                    Function<@Nullable Object, ?> rightKey, Type type) {
        this(left, right, leftKey, rightKey, type, JoinPlan::pair);
    }

    /**
     * Joins, combining each output pair with a function.
     *
     * @param left     the probe side, streamed
     * @param right    the build side, held in memory while the join runs
     * @param leftKey  the key of a left record
     * @param rightKey the key of a right record
     * @param type     which unmatched records to keep
     * @param combiner makes the output record from a left and a right record; it gets {@code null} for
     *                 the missing side of an outer join
     * @throws NullPointerException if an argument is {@code null}
     */
    public JoinPlan(QueryPlan left, QueryPlan right, Function<@Nullable Object, ?> leftKey,
                    Function<@Nullable Object, ?> rightKey, Type type,
                    BiFunction<@Nullable Object, @Nullable Object, ?> combiner) {
        this.left = Objects.requireNonNull(left, "left");
        this.right = Objects.requireNonNull(right, "right");
        this.leftKey = Objects.requireNonNull(leftKey, "leftKey");
        this.rightKey = Objects.requireNonNull(rightKey, "rightKey");
        this.type = Objects.requireNonNull(type, "type");
        this.combiner = Objects.requireNonNull(combiner, "combiner");
    }

    /**
     * The default combiner: {@code {left: l, right: r}}, a missing side as {@code null}.
     *
     * @param left  the left record, or {@code null}
     * @param right the right record, or {@code null}
     * @return an unmodifiable map with the keys {@code "left"} and {@code "right"}
     */
    public static Map<String, @Nullable Object> pair(@Nullable Object left, @Nullable Object right) {
        Map<String, @Nullable Object> m = new LinkedHashMap<>();
        m.put("left", left);
        m.put("right", right);
        return Collections.unmodifiableMap(m);
    }

    @Override
    public Stream<@Nullable Object> execute() {
        return Stream.of(0).flatMap(x -> run());
    }

    private Stream<@Nullable Object> run() {
        List<Object> build = new ArrayList<>();
        Map<ValueKey, List<Integer>> table = new HashMap<>();
        try (Stream<@Nullable Object> in = right.execute()) {
            in.forEach(r -> {
                Object k = rightKey.apply(r);
                if (!ValueSemantics.missing(k)) {
                    table.computeIfAbsent(new ValueKey(k), kk -> new ArrayList<>(1)).add(build.size());
                }
                build.add(r);
            });
        }
        boolean[] matched = new boolean[build.size()];
        boolean keepLeft = type == Type.LEFT || type == Type.FULL;
        Stream<@Nullable Object> probed = left.execute().flatMap(l -> {
            Object k = leftKey.apply(l);
            List<Integer> hits = ValueSemantics.missing(k) ? null : table.get(new ValueKey(k));
            if (hits == null) {
                return keepLeft ? Stream.of(combiner.apply(l, null)) : Stream.empty();
            }
            return hits.stream().map(i -> {
                matched[i] = true;
                return combiner.apply(l, build.get(i));
            });
        });
        if (type == Type.INNER || type == Type.LEFT) {
            return probed;
        }
        Stream<@Nullable Object> unmatchedRight = Stream.of(0).flatMap(x -> IntStream.range(0, build.size())
                .filter(i -> !matched[i]).mapToObj(i -> combiner.apply(null, build.get(i))));
        return Stream.concat(probed, unmatchedRight);
    }

    @Override
    public QueryPlan optimize() {
        return new JoinPlan(left.optimize(), right.optimize(), leftKey, rightKey, type, combiner);
    }

    @Override
    public Estimate estimate() {
        Estimate l = left.estimate();
        Estimate r = right.estimate();
        double rows = Math.max(l.rows(), r.rows());
        return new Estimate(rows, l.cost() + r.cost());
    }

    @Override
    public Explanation explain() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("type", type.name());
        d.put("leftKey", leftKey instanceof Field f ? f.toString() : "lambda");
        d.put("rightKey", rightKey instanceof Field f ? f.toString() : "lambda");
        d.put("algorithm", "hash join, right side built");
        return Explanation.of("Join", Explanation.Access.NONE, d, estimate(), left.explain(), right.explain());
    }

    @Override
    public String toString() {
        return explain().toText();
    }
}
