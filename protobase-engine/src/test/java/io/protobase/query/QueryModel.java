package io.protobase.query;

import io.protobase.collection.DbObject;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The reference semantics of queries, written from {@code docs/queries.md} and
 * {@code docs/concepts.md} over plain java.util collections, sharing no code with the engine's query,
 * index or codec packages: its own field paths, its own comparisons and its own total order.
 * Expressions evaluate to {@code Boolean} with {@code null} for UNKNOWN. Only covers the values the
 * differential tests generate (null, booleans, the four number types, strings, lists, records).
 */
final class QueryModel {

    /**
     * The documented total order: null &lt; booleans &lt; numbers (by exact numeric value, whatever
     * their type) &lt; strings (by UTF-16 code units) &lt; ... &lt; lists (element by element, a
     * prefix first) &lt; records.
     */
    static final Comparator<Object> ORDER = QueryModel::compareValues;

    private QueryModel() {
    }

    /**
     * The value at a dotted path, {@code null} when absent: each step reads an attribute of a
     * {@code DbObject} or a key of a {@code Map}; a step into anything else is absent.
     */
    static Object field(String path, Object record) {
        Object current = record;
        for (String step : path.split("\\.")) {
            if (current instanceof DbObject o) {
                current = o.getAt(step);
            } else if (current instanceof Map<?, ?> m) {
                current = m.get(step);
            } else {
                return null;
            }
        }
        return current;
    }

    /** The keys a path index holds for a record: the field's value unless it is absent or null. */
    static List<Object> indexKeys(String path, Object record) {
        Object v = field(path, record);
        return v == null ? List.of() : List.of(v);
    }

    /** The group of a value in the total order; values of one group compare, across groups they do not. */
    static int group(Object v) {
        if (v == null) {
            return 0;
        }
        if (v instanceof Boolean) {
            return 1;
        }
        if (v instanceof Integer || v instanceof Long || v instanceof Double || v instanceof BigDecimal) {
            return 2;
        }
        if (v instanceof String) {
            return 3;
        }
        if (v instanceof List<?>) {
            return 11;
        }
        if (v instanceof DbObject || v instanceof Map<?, ?>) {
            return 12;
        }
        throw new IllegalArgumentException("the model does not order " + v.getClass().getName());
    }

    private static int compareValues(Object a, Object b) {
        int ga = group(a);
        int gb = group(b);
        if (ga != gb) {
            return Integer.compare(ga, gb);
        }
        return switch (ga) {
            case 0 -> 0;
            case 1 -> Boolean.compare((Boolean) a, (Boolean) b);
            case 2 -> exact((Number) a).compareTo(exact((Number) b));
            case 3 -> ((String) a).compareTo((String) b);
            case 11 -> compareLists((List<?>) a, (List<?>) b);
            default -> throw new IllegalArgumentException("the model does not order records");
        };
    }

    private static BigDecimal exact(Number n) {
        return n instanceof BigDecimal bd ? bd : n instanceof Double d ? new BigDecimal(d)
                : BigDecimal.valueOf(n.longValue());
    }

    private static int compareLists(List<?> a, List<?> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = compareValues(a.get(i), b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    static Boolean eval(Expression e, Object r) {
        if (e instanceof Expression.Comparison c) {
            return compare(field(c.path().toString(), r), c.operator(), c.value());
        }
        if (e instanceof Expression.In in) {
            Boolean t = false;
            for (Object v : in.values()) {
                t = or(t, compare(field(in.path().toString(), r), Expression.Operator.EQ, v));
            }
            return t;
        }
        if (e instanceof Expression.Between b) {
            Object v = field(b.path().toString(), r);
            return and(compare(v, b.bounds().lowInclusive() ? Expression.Operator.GE : Expression.Operator.GT, b.low()),
                    compare(v, b.bounds().highInclusive() ? Expression.Operator.LE : Expression.Operator.LT, b.high()));
        }
        if (e instanceof Expression.Contains c) {
            Object v = field(c.path().toString(), r);
            if (v == null || c.value() == null) {
                return null;
            }
            if (v instanceof String s) {
                return c.value() instanceof String sub && s.contains(sub);
            }
            if (v instanceof List<?> l) {
                return l.stream().anyMatch(x -> Boolean.TRUE.equals(compare(x, Expression.Operator.EQ, c.value())));
            }
            return false;
        }
        if (e instanceof Expression.StartsWith s) {
            Object v = field(s.path().toString(), r);
            if (v == null || s.prefix() == null) {
                return null;
            }
            return v instanceof String str && str.startsWith(s.prefix());
        }
        if (e instanceof Expression.IsNull n) {
            return field(n.path().toString(), r) == null;
        }
        if (e instanceof Expression.IsNotNull n) {
            return field(n.path().toString(), r) != null;
        }
        if (e instanceof Expression.And a) {
            Boolean t = true;
            for (Expression x : a.terms()) {
                t = and(t, eval(x, r));
            }
            return t;
        }
        if (e instanceof Expression.Or o) {
            Boolean t = false;
            for (Expression x : o.terms()) {
                t = or(t, eval(x, r));
            }
            return t;
        }
        if (e instanceof Expression.Not n) {
            Boolean t = eval(n.term(), r);
            return t == null ? null : !t;
        }
        throw new IllegalArgumentException(e.toString());
    }

    private static Boolean compare(Object v, Expression.Operator op, Object k) {
        if (v == null || k == null) {
            return null;
        }
        boolean sameGroup = group(v) == group(k);
        if (!sameGroup) {
            return switch (op) {
                case EQ -> false;
                case NE -> true;
                default -> null;
            };
        }
        int c = ORDER.compare(v, k);
        return switch (op) {
            case EQ -> c == 0;
            case NE -> c != 0;
            case LT -> c < 0;
            case LE -> c <= 0;
            case GT -> c > 0;
            case GE -> c >= 0;
        };
    }

    private static Boolean and(Boolean a, Boolean b) {
        if (Boolean.FALSE.equals(a) || Boolean.FALSE.equals(b)) {
            return false;
        }
        return a == null || b == null ? null : true;
    }

    private static Boolean or(Boolean a, Boolean b) {
        if (Boolean.TRUE.equals(a) || Boolean.TRUE.equals(b)) {
            return true;
        }
        return a == null || b == null ? null : false;
    }

    /** Orders by one path: missing values last ascending, first descending, else by the model's total order. */
    static Comparator<Object> order(String path, boolean descending) {
        return (a, b) -> {
            Object x = field(path, a);
            Object y = field(path, b);
            if (x == null || y == null) {
                return x == y ? 0 : (x == null ? 1 : -1) * (descending ? -1 : 1);
            }
            int c = ORDER.compare(x, y);
            return descending ? -c : c;
        };
    }

    /** A value with numbers as stripped BigDecimals and records as sorted maps, for comparing results by value. */
    static Object normalize(Object v) {
        if (v instanceof Number n && !(v instanceof Double d && (d.isNaN() || d.isInfinite()))) {
            BigDecimal b = n instanceof BigDecimal bd ? bd : n instanceof Double d ? new BigDecimal(d)
                    : new BigDecimal(n.toString());
            return b.stripTrailingZeros();
        }
        if (v instanceof DbObject o) {
            return normalize(o.asMap());
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new TreeMap<>();
            m.forEach((k, x) -> {
                if (x != null) {
                    out.put(String.valueOf(k), normalize(x));
                }
            });
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(x -> out.add(normalize(x)));
            return out;
        }
        return v;
    }

    /** Group rows {c, n, total, low, high, mean} by the field c, in the model's own way. */
    static List<Object> groupByC(List<Object> records) {
        Map<Object, List<Object>> groups = new LinkedHashMap<>();
        for (Object r : records) {
            groups.computeIfAbsent(normalize(field("c", r)), k -> new ArrayList<>()).add(r);
        }
        List<Object> rows = new ArrayList<>();
        groups.forEach((k, rs) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("c", k);
            row.put("n", (long) rs.size());
            BigDecimal total = BigDecimal.ZERO;
            int numbers = 0;
            Object low = null;
            Object high = null;
            for (Object r : rs) {
                Object a = field("a", r);
                if (a instanceof Number n) {
                    total = total.add((BigDecimal) normalize(n));
                    numbers++;
                }
                if (a != null) {
                    low = low == null || ORDER.compare(a, low) < 0 ? a : low;
                    high = high == null || ORDER.compare(a, high) > 0 ? a : high;
                }
            }
            row.put("total", numbers == 0 ? null : total);
            row.put("low", low);
            row.put("high", high);
            row.put("mean", numbers == 0 ? null : total.doubleValue() / numbers);
            rows.add(normalize(row));
        });
        return rows;
    }
}
