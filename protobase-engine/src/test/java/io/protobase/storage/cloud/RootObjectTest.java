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
    void aDamagedSegmentListIsACorruptionNamingTheRootObject() {
        String bad = "protobase-cloud-root 1\nepoch=2\nwriter=w\nlog=l\nsequence=5\nroot=none\nuploaded=1:40\n"
                + "segments=9-3\n";
        assertThatThrownBy(() -> RootObject.parse(bad.getBytes(StandardCharsets.UTF_8), "p/root"))
                .isInstanceOf(CorruptionException.class).hasMessageContaining("p/root");
    }
}
