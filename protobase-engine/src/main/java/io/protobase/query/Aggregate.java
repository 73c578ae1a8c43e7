package io.protobase.query;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * One aggregate column of a {@link GroupByPlan}, named in the output row. As in SQL, every aggregate
 * except {@link #count(String)} and {@link #collect} skips missing values ({@code null}, absent
 * fields); {@code sum} and {@code avg} also skip values that are not numbers.
 * <ul>
 *   <li>{@code count(name)}: the number of records in the group; {@code count(name, path)}: of
 *       non-missing values;</li>
 *   <li>{@code sum}: exact over {@code Integer}/{@code Long} (a {@code Long}; a {@code BigDecimal} on
 *       overflow), a {@code BigDecimal} when {@code BigDecimal}/{@code BigInteger} values are involved,
 *       a {@code Double} as soon as one value is a {@code Double}; {@code null} when no value counted;</li>
 *   <li>{@code avg}: a {@code Double}, {@code null} when no value counted;</li>
 *   <li>{@code min}/{@code max}: under {@link io.protobase.codec.ValueOrder} (numbers numerically;
 *       across type groups by group order), {@code null} when no value counted;</li>
 *   <li>{@code collect}: an unmodifiable list of the records (or of the values at a path, missing
 *       ones as {@code null}) in input order.</li>
 * </ul>
 */
public record Aggregate(String name, Kind kind, Function<Object, ?> value, String description) {

    /** What an aggregate computes. */
    public enum Kind {
        COUNT, COUNT_VALUES, SUM, AVG, MIN, MAX, COLLECT
    }

    public Aggregate {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(value, "value");
    }

    public static Aggregate count(String name) {
        return new Aggregate(name, Kind.COUNT, r -> r, "count(*)");
    }

    public static Aggregate count(String name, String path) {
        return of(name, Kind.COUNT_VALUES, path);
    }

    public static Aggregate sum(String name, String path) {
        return of(name, Kind.SUM, path);
    }

    public static Aggregate avg(String name, String path) {
        return of(name, Kind.AVG, path);
    }

    public static Aggregate min(String name, String path) {
        return of(name, Kind.MIN, path);
    }

    public static Aggregate max(String name, String path) {
        return of(name, Kind.MAX, path);
    }

    /** The records of the group. */
    public static Aggregate collect(String name) {
        return new Aggregate(name, Kind.COLLECT, r -> r, "collect(*)");
    }

    /** The values at {@code path} of the records of the group. */
    public static Aggregate collect(String name, String path) {
        return of(name, Kind.COLLECT, path);
    }

    /** An aggregate of any kind over a computed value. */
    public static Aggregate of(String name, Kind kind, Function<Object, ?> value) {
        return new Aggregate(name, kind, value, kind.name().toLowerCase(java.util.Locale.ROOT) + "(lambda)");
    }

    private static Aggregate of(String name, Kind kind, String path) {
        return new Aggregate(name, kind, Field.of(path), kind.name().toLowerCase(java.util.Locale.ROOT) + "(" + path + ")");
    }

    Accumulator accumulator() {
        return new Accumulator(this);
    }

    @Override
    public String toString() {
        return name + "=" + description;
    }

    /** The running state of one aggregate over one group. */
    static final class Accumulator {
        private final Aggregate aggregate;
        private long count;
        private long longSum;
        private BigDecimal decimalSum;
        private double doubleSum;
        private boolean sawDouble;
        private Object extreme;
        private List<Object> collected;

        Accumulator(Aggregate aggregate) {
            this.aggregate = aggregate;
        }

        void add(Object record) {
            Object v = aggregate.value.apply(record);
            switch (aggregate.kind) {
                case COUNT -> count++;
                case COUNT_VALUES -> count += ValueSemantics.missing(v) ? 0 : 1;
                case SUM, AVG -> addNumber(v);
                case MIN, MAX -> addExtreme(v);
                case COLLECT -> {
                    if (collected == null) {
                        collected = new ArrayList<>();
                    }
                    collected.add(v == io.protobase.index.FieldPath.ABSENT ? null : v);
                }
                default -> throw new IllegalStateException(aggregate.kind.name());
            }
        }

        private void addNumber(Object v) {
            if (v instanceof Integer || v instanceof Long) {
                long x = ((Number) v).longValue();
                long s = longSum + x;
                if (((longSum ^ s) & (x ^ s)) < 0) {
                    decimalSum = decimal().add(BigDecimal.valueOf(longSum)).add(BigDecimal.valueOf(x));
                    longSum = 0;
                } else {
                    longSum = s;
                }
            } else if (v instanceof Double d) {
                doubleSum += d;
                sawDouble = true;
            } else if (v instanceof BigDecimal d) {
                decimalSum = decimal().add(d);
            } else if (v instanceof BigInteger i) {
                decimalSum = decimal().add(new BigDecimal(i));
            } else {
                return;
            }
            count++;
        }

        private BigDecimal decimal() {
            return decimalSum == null ? BigDecimal.ZERO : decimalSum;
        }

        private void addExtreme(Object v) {
            if (ValueSemantics.missing(v)) {
                return;
            }
            if (extreme == null) {
                extreme = v;
                return;
            }
            int c = ValueSemantics.compareTotal(v, extreme, aggregate.description);
            if (aggregate.kind == Kind.MIN ? c < 0 : c > 0) {
                extreme = v;
            }
        }

        Object result() {
            return switch (aggregate.kind) {
                case COUNT, COUNT_VALUES -> count;
                case SUM -> count == 0 ? null : sum();
                case AVG -> count == 0 ? null : sumAsDouble() / count;
                case MIN, MAX -> extreme;
                case COLLECT -> collected == null ? List.of() : Collections.unmodifiableList(collected);
            };
        }

        private Object sum() {
            if (sawDouble) {
                return sumAsDouble();
            }
            if (decimalSum != null) {
                return decimalSum.add(BigDecimal.valueOf(longSum));
            }
            return longSum;
        }

        private double sumAsDouble() {
            double s = doubleSum + longSum;
            return decimalSum == null ? s : s + decimalSum.doubleValue();
        }
    }
}
