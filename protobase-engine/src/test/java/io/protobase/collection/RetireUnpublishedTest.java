package io.protobase.collection;

import io.protobase.collection.internal.AtomStore;
import io.protobase.storage.AtomCache;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link TreeStore#retireUnpublished}: every node a version saved is retired, those of the collections
 * its records hold included, however deep, while records of scalars are passed over.
 */
class RetireUnpublishedTest {

    private final AtomStore store = AtomStore.create(new MemoryStorage(), 64 << 20);

    /** The pointers of the saved nodes held in memory from {@code root} down, nested collections included. */
    private static void savedNodes(Object root, List<AtomPointer> out) {
        if (!(root instanceof Node n) || n.pointer == null) {
            return;
        }
        out.add(n.pointer);
        for (int i = 0; i < n.size; i++) {
            Object v = n.vals == null ? null : n.vals[i];
            if (!n.leaf) {
                savedNodes(v, out);
            } else if (v instanceof DbObject o) {
                for (int a = 0; a < o.count(); a++) {
                    if (o.valueAt(a) instanceof ProtoCollection c) {
                        savedNodes(c.tree.root(), out);
                    }
                }
            }
        }
    }

    @Test
    void retiresTheNodesOfTheVersionAndOfTheCollectionsItsRecordsHold() {
        Dictionary inner = Dictionary.empty();
        for (int i = 0; i < 300; i++) {
            inner = inner.setAt(i, "v" + i);
        }
        Dictionary outer = Dictionary.empty();
        for (int i = 0; i < 300; i++) {
            outer = outer.setAt(i, DbObject.of("n", i, "name", "record " + i));
        }
        outer = outer.setAt(150, DbObject.of("n", -1, "inner", inner));
        store.persist(outer);
        List<AtomPointer> saved = new ArrayList<>();
        savedNodes(outer.tree.root(), saved);
        List<AtomPointer> nested = new ArrayList<>();
        savedNodes(inner.tree.root(), nested);
        assertThat(nested).as("the nested dictionary's nodes").hasSizeGreaterThan(4);
        assertThat(saved).containsAll(nested).hasSizeGreaterThan(nested.size() + 4);
        assertThat(saved).allSatisfy(p -> assertThat(store.cachedAtom(p)).isNotNull());

        store.retireUnpublished(outer);
        // a retired atom leaves the cache once RETIRED_KEPT more were retired after it
        AtomCache<?> cache = store.cache();
        for (int i = 0; i < AtomCache.RETIRED_KEPT; i++) {
            cache.retire(new AtomPointer(Long.MAX_VALUE, i));
        }

        assertThat(saved).allSatisfy(p -> assertThat(store.cachedAtom(p)).as("retired " + p).isNull());
    }
}
