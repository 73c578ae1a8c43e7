package io.protobase.collection;

import io.protobase.codec.ValueOrder;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link StringKeyIndex} answers every search exactly as a binary search with the value order does, for
 * keys that share long prefixes, end inside the packed characters, or hold the extreme code units.
 */
class StringKeyIndexProperties {

    @Provide
    Arbitrary<String> keys() {
        Arbitrary<Character> chars = Arbitraries.of('\u0000', '\u0001', 'a', 'b', 'z', '\u00e9', '\ud800', '\uffff');
        Arbitrary<String> tails = chars.list().ofMaxSize(6).map(cs -> {
            StringBuilder b = new StringBuilder();
            cs.forEach(b::append);
            return b.toString();
        });
        return Arbitraries.oneOf(tails, tails.map(t -> "item-0000" + t), tails.map(t -> "item-" + t));
    }

    @Property(tries = 500)
    void searchesAsTheValueOrderDoesInLeavesAndInternalNodes(@ForAll("keySets") List<String> stored,
            @ForAll("keys") String probe) {
        Object[] keys = stored.toArray();
        for (int from = 0; from <= 1; from++) {
            StringKeyIndex index = StringKeyIndex.of(keys, from, keys.length);
            if (index == null) {
                assertThat(keys.length - from).isLessThan(StringKeyIndex.MIN_KEYS);
                continue;
            }
            for (String key : withStoredKeys(stored, probe)) {
                assertThat(index.search(keys, key, ValueOrder.INSTANCE, true)).as("exact %s", key)
                        .isEqualTo(exact(keys, from, key));
                assertThat(index.search(keys, key, ValueOrder.INSTANCE, false)).as("floor %s", key)
                        .isEqualTo(floor(keys, from, key));
            }
        }
    }

    @Provide
    Arbitrary<List<String>> keySets() {
        return keys().set().ofMinSize(1).ofMaxSize(70).map(s -> new ArrayList<>(new TreeSet<String>(s)));
    }

    private static List<String> withStoredKeys(List<String> stored, String probe) {
        List<String> all = new ArrayList<>(stored);
        all.add(probe);
        all.add("");
        return all;
    }

    private static int exact(Object[] keys, int from, String key) {
        int lo = from;
        int hi = keys.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = ValueOrder.INSTANCE.compare(keys[mid], key);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -(lo + 1);
    }

    private static int floor(Object[] keys, int from, String key) {
        int lo = from;
        int hi = keys.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (ValueOrder.INSTANCE.compare(keys[mid], key) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return lo - 1;
    }
}
