package io.protobase.collection;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Stored values in a plain {@code java.util} form, so a collection read back from storage can be
 * compared with the one that was written: lists for {@code ProtoList}s and dictionaries (as
 * {@code [key, value]} pairs in key order), sets and maps for the hashed collections, sorted maps
 * for records; scalars as they are.
 */
final class Plain {

    private Plain() {
    }

    /** The plain {@code java.util} form of a stored value, for comparison with the model. */
    static Object of(Object v) {
        if (v instanceof ProtoList l) {
            List<Object> out = new ArrayList<>();
            l.forEach(e -> out.add(of(e)));
            return out;
        }
        if (v instanceof Dictionary d) {
            List<Object> out = new ArrayList<>();
            d.forEach(e -> out.add(Arrays.asList(e.getKey(), of(e.getValue()))));
            return out;
        }
        if (v instanceof ProtoSet s) {
            Set<Object> out = new HashSet<>();
            s.forEach(out::add);
            return out;
        }
        if (v instanceof CountedSet c) {
            Map<Object, Long> out = new HashMap<>();
            c.counts().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
            return out;
        }
        if (v instanceof HashDictionary h) {
            Map<Object, Object> out = new HashMap<>();
            h.forEach(e -> out.put(e.getKey(), of(e.getValue())));
            return out;
        }
        if (v instanceof RepeatedKeysDictionary r) {
            Map<Object, Long> out = new HashMap<>();
            r.entries().forEach(e -> out.put(e.getKey(), e.getValue()));
            return out;
        }
        if (v instanceof DbObject o) {
            TreeMap<String, Object> out = new TreeMap<>();
            o.asMap().forEach((k, x) -> out.put(k, of(x)));
            return out;
        }
        if (v instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            list.forEach(e -> out.add(of(e)));
            return out;
        }
        return v;
    }
}
