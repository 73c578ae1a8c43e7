package io.protobase.query;

import io.protobase.ProtoBaseException;
import io.protobase.codec.StableHash;
import io.protobase.index.FieldPath;
import org.jspecify.annotations.Nullable;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A hash key with the query's notion of equality, for grouping, distinct and hash joins: orderable
 * values are equal when {@link ValueSemantics#compareWithinGroup} says so (so {@code 1}, {@code 1L}
 * and {@code 1.0} are one key) and hash with {@link StableHash}, which hashes numbers by value;
 * other values fall back to {@code equals}/{@code hashCode}. Missing values ({@code null}, {@link
 * FieldPath#ABSENT}) are one key, as SQL's GROUP BY and DISTINCT treat nulls. {@code Map} rows (from
 * select, groupBy, join) are equal when their entries are, by these same rules.
 */
final class ValueKey {

    private final @Nullable Object value;
    private final boolean orderable;
    private final @Nullable Map<ValueKey, ValueKey> entries;
    private final int hash;

    ValueKey(@Nullable Object value) {
        this.value = value == FieldPath.ABSENT ? null : value;
        if (this.value instanceof Map<?, ?> m) {
            // rows made by select/groupBy/join: equal when their entries are equal as values
            Map<ValueKey, ValueKey> e = new HashMap<>();
            m.forEach((k, v) -> e.put(new ValueKey(k), new ValueKey(v)));
            this.entries = e;
            this.orderable = false;
            this.hash = e.hashCode();
            return;
        }
        this.entries = null;
        boolean ord = ValueSemantics.orderable(this.value);
        int h;
        if (ord) {
            try {
                long s = StableHash.of(this.value);
                h = (int) (s ^ (s >>> 32));
            } catch (ProtoBaseException e) {
                ord = false;
                h = Objects.hashCode(this.value);
            }
        } else {
            h = Objects.hashCode(this.value);
        }
        this.orderable = ord;
        this.hash = h;
    }

    /** The value this key was made from ({@code null} for a missing value). */
    @Nullable Object value() {
        return value;
    }

    @Override
    public boolean equals(Object obj) {
        if (!(obj instanceof ValueKey k) || k.hash != hash) {
            return false;
        }
        if (value == null || k.value == null) {
            return value == k.value;
        }
        if (entries != null || k.entries != null) {
            return Objects.equals(entries, k.entries);
        }
        if (orderable && k.orderable) {
            Integer c = ValueSemantics.compareWithinGroup(value, k.value);
            return c != null && c == 0;
        }
        return Objects.equals(value, k.value);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
