package io.protobase.collection;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The encoded-size estimate a node keeps while it is edited (entries added, replaced, nodes split) equals
 * the estimate computed from its entries afresh, so nodes split by size exactly where a fresh count says.
 */
class NodeSizeAccountingTest {

    @Test
    void aBuilderKeepsEveryNodeSizeEqualToAFreshEstimate() {
        Random random = new Random(42);
        Dictionary.Builder b = Dictionary.builder();
        for (int i = 0; i < 20_000; i++) {
            int id = random.nextInt(30_000);
            b.setAt(key(id), record(id, random));
            if (i % 7 == 0) {
                b.removeAt(key(random.nextInt(30_000)));
            }
        }
        assertSizesExact(b.build().tree.root());
    }

    @Test
    void persistentEditsKeepEveryNodeSizeEqualToAFreshEstimate() {
        Random random = new Random(7);
        Dictionary d = Dictionary.empty();
        for (int i = 0; i < 5_000; i++) {
            int id = random.nextInt(8_000);
            d = d.setAt(key(id), record(id, random));
        }
        assertSizesExact(d.tree.root());
    }

    @Test
    void aRecordRemembersItsEstimateAndItsDepthApart() {
        DbObject r = DbObject.of("name", "x".repeat(10), "tags", List.of("a", "b"));
        int depth = r.depth();
        assertThat(r.knownSize()).isEqualTo(-1);
        int estimate = NodeSize.value(r);
        assertThat(r.knownSize()).isEqualTo(estimate);
        assertThat(r.depth()).isEqualTo(depth);
    }

    private static String key(int id) {
        return String.format("item-%07d", id);
    }

    /** Records of very different sizes, so that some nodes split by bytes before they split by count. */
    private static DbObject record(int id, Random random) {
        int length = random.nextInt(10) == 0 ? 500 + random.nextInt(1_500) : random.nextInt(40);
        return DbObject.of("id", id, "name", "n".repeat(length), "price", random.nextDouble());
    }

    private static void assertSizesExact(Object root) {
        List<Node> pending = new ArrayList<>();
        pending.add((Node) root);
        int checked = 0;
        while (!pending.isEmpty()) {
            Node n = pending.remove(pending.size() - 1);
            if (n.bytes >= 0) {
                int kept = n.bytes;
                n.bytes = -1;
                assertThat(kept).as("kept size of a node of %d entries", n.size).isEqualTo(NodeSize.of(n));
                checked++;
            }
            if (!n.leaf) {
                for (int i = 0; i < n.size; i++) {
                    pending.add((Node) n.vals[i]);
                }
            }
        }
        assertThat(checked).isPositive();
    }
}
