package io.protobase.storage.cloud;

import io.protobase.CorruptionException;
import io.protobase.storage.AtomPointer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The root object's text format: the live and released segment lists, and roots written before them. */
class RootObjectTest {

    private static final long LOG_1 = 1L << 32;
    private static final long LOG_3 = 3L << 32;

    @Test
    void liveSegmentsAreWrittenAsRunsAndReadBackWithTheReleaseStamps() {
        TreeSet<Long> live = new TreeSet<>(List.of(LOG_1 | 1, LOG_1 | 2, LOG_1 | 3, LOG_1 | 7, LOG_3 | 1, LOG_3 | 2));
        TreeMap<Long, Long> released = new TreeMap<>(Map.of(LOG_1 | 4, 1_000L, LOG_1 | 5, 2_000L));
        RootObject root = new RootObject(3, "w", "log", 42, new AtomPointer(LOG_3 | 2, 48), LOG_3 | 2, 96, live,
                released);

        String text = new String(root.toBytes(), StandardCharsets.UTF_8);
        assertThat(text).contains("segments=" + (LOG_1 | 1) + "-" + (LOG_1 | 3) + "," + (LOG_1 | 7) + ","
                + (LOG_3 | 1) + "-" + (LOG_3 | 2) + "\n");
        assertThat(text).contains("released=" + (LOG_1 | 4) + "@1000," + (LOG_1 | 5) + "@2000\n");
        RootObject back = RootObject.parse(root.toBytes(), "p/root");
        assertThat(back.segments()).containsExactlyElementsOf(live);
        assertThat(back.released()).isEqualTo(released);
        assertThat(back.root()).isEqualTo(root.root());
    }

    @Test
    void aRootWrittenBeforeTheListsHasAnUnknownLiveListAndNothingReleased() {
        String old = "protobase-cloud-root 1\nepoch=2\nwriter=w\nlog=l\nsequence=5\nroot=none\nuploaded=4294967297:40\n"
                + "time=1\n";
        RootObject root = RootObject.parse(old.getBytes(StandardCharsets.UTF_8), "p/root");
        assertThat(root.segments()).isNull();
        assertThat(root.released()).isEmpty();
        assertThat(new String(root.toBytes(), StandardCharsets.UTF_8)).doesNotContain("segments=")
                .doesNotContain("released=");
    }

    @Test
    void aCloudClustersRootCarriesItsClusterIdAndEverySegmentsLength() {
        long node1 = (1L << 40) | (1L << 20) | 1;
        long node2 = (2L << 40) | (3L << 20) | 1;
        TreeMap<Long, Long> lengths = new TreeMap<>(Map.of(node1, 4096L, node2, 17L));
        RootObject root = RootObject.ofCluster("orders", (2L << 32) | 7, "node-1-term-7", "orders/h", 123,
                new AtomPointer(node2, 0), lengths);

        String text = new String(root.toBytes(), StandardCharsets.UTF_8);
        assertThat(text).contains("cluster=orders\n").contains("lengths=" + node1 + ":4096," + node2 + ":17\n")
                .contains("epoch=" + ((2L << 32) | 7) + "\n");
        RootObject back = RootObject.parse(root.toBytes(), "p/root");
        assertThat(back.cluster()).isEqualTo("orders");
        assertThat(back.lengths()).isEqualTo(lengths);
        assertThat(back.segments()).containsExactly(node1, node2);
        assertThat(back.claimedBy((2L << 32) | 8, "node-2-term-8", "orders/h")).satisfies(c -> {
            assertThat(c.epoch()).isEqualTo((2L << 32) | 8);
            assertThat(c.lengths()).isEqualTo(lengths);
            assertThat(c.root()).isEqualTo(root.root());
        });
    }

    @Test
    void aCloudClustersRootNamesTheRaftTermOfItsMarkAndThePublishedRootsUntilAnotherHistoryClaimsIt() {
        long node1 = (1L << 40) | (1L << 20) | 1;
        TreeMap<Long, Long> lengths = new TreeMap<>(Map.of(node1, 4096L));
        TreeMap<Integer, AtomPointer> published = new TreeMap<>(Map.of(1, new AtomPointer(node1, 40), 3,
                new AtomPointer(node1, 2048)));
        RootObject root = RootObject.ofCluster("orders", (2L << 32) | 7, "node-1-term-7", "orders/h", 123, 7,
                new AtomPointer(node1, 2048), lengths, published);

        String text = new String(root.toBytes(), StandardCharsets.UTF_8);
        assertThat(text).contains("term=7\n").contains("published=1:" + node1 + ":40,3:" + node1 + ":2048\n");
        RootObject back = RootObject.parse(root.toBytes(), "p/root");
        assertThat(back.term()).isEqualTo(7);
        assertThat(back.lastPublished()).isEqualTo(published);
        // a new leader of the same history keeps them; a new history's claim names an index of another log
        assertThat(back.claimedBy((2L << 32) | 8, "node-2-term-8", "orders/h").term()).isEqualTo(7);
        RootObject restored = back.claimedBy(3L << 32 | 1, "node-1-term-1", "orders/other");
        assertThat(restored.term()).isEqualTo(-1);
        assertThat(restored.lastPublished()).isNull();
        assertThat(new String(restored.toBytes(), StandardCharsets.UTF_8)).doesNotContain("term=")
                .doesNotContain("published=");
        // an older root names no term
        assertThat(RootObject.parse(RootObject.ofCluster("orders", 1, "w", "orders/h", 5, null, lengths).toBytes(),
                "p/root").term()).isEqualTo(-1);
    }

    /**
     * A new history's claim keeps the gone segments of {@code reclaim=} (their chunks may be deleted already, and a
     * cluster restored from the claimed root must not read or reuse them) but not the condemnations, whose log
     * indexes belong to the old history.
     */
    @Test
    void anotherHistorysClaimKeepsTheGoneSegmentsOfTheReclaimStateAndDropsTheCondemnations() {
        long node1 = (1L << 40) | (1L << 20) | 1;
        TreeMap<Long, Long> lengths = new TreeMap<>(Map.of(node1, 4096L));
        String reclaim = "5:1:40:1/2:1+;7-9,12";
        RootObject root = RootObject.ofCluster("orders", (2L << 32) | 7, "node-1-term-7", "orders/h", 123, 7,
                new AtomPointer(node1, 2048), lengths, new TreeMap<>(), reclaim);
        RootObject back = RootObject.parse(root.toBytes(), "p/root");
        assertThat(back.reclaim()).isEqualTo(reclaim);
        assertThat(back.claimedBy((2L << 32) | 8, "node-2-term-8", "orders/h").reclaim()).isEqualTo(reclaim);

        RootObject restored = back.claimedBy(3L << 32 | 1, "node-1-term-1", "orders/other");
        assertThat(restored.term()).isEqualTo(-1);
        assertThat(restored.reclaim()).isEqualTo(";7-9,12");
        assertThat(new String(restored.toBytes(), StandardCharsets.UTF_8)).contains("reclaim=;7-9,12\n")
                .doesNotContain("term=");
        RootObject again = RootObject.parse(restored.toBytes(), "p/root");
        assertThat(again.reclaim()).isEqualTo(";7-9,12");
        // claimed once more by a third history, the gone segments stay
        assertThat(again.claimedBy(4L << 32 | 1, "node-1-term-1", "orders/third").reclaim()).isEqualTo(";7-9,12");
        // a state with nothing gone leaves nothing
        RootObject noneGone = RootObject.ofCluster("orders", (2L << 32) | 7, "w", "orders/h", 123, 7, null, lengths,
                new TreeMap<>(), "5:1:40:1/2:1+;");
        assertThat(noneGone.claimedBy(3L << 32 | 1, "w2", "orders/other").reclaim()).isEmpty();
    }

    @Test
    void aSingleNodeRootNamesNoCluster() {
        RootObject root = new RootObject(1, "w", "l", 0, null, LOG_1 | 1, 0, null, null);
        assertThat(new String(root.toBytes(), StandardCharsets.UTF_8)).doesNotContain("cluster=")
                .doesNotContain("lengths=");
        RootObject back = RootObject.parse(root.toBytes(), "p/root");
        assertThat(back.cluster()).isNull();
        assertThat(back.lengths()).isNull();
    }

    @Test
    void aDamagedSegmentListIsACorruptionNamingTheRootObject() {
        String bad = "protobase-cloud-root 1\nepoch=2\nwriter=w\nlog=l\nsequence=5\nroot=none\nuploaded=1:40\n"
                + "segments=9-3\n";
        assertThatThrownBy(() -> RootObject.parse(bad.getBytes(StandardCharsets.UTF_8), "p/root"))
                .isInstanceOf(CorruptionException.class).hasMessageContaining("p/root");
    }
}
