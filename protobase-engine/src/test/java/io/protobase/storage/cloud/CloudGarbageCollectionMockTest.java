package io.protobase.storage.cloud;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Garbage collection on {@link MockS3Client}, plus what needs its fault injection. */
class CloudGarbageCollectionMockTest extends CloudGarbageCollectionContract {

    private final MockS3Client s3 = new MockS3Client();

    @Override
    ObjectStore store() {
        return s3;
    }

    @Test
    void failingDeletionsAreRetriedAtALaterPassAndNeverFailCommits() {
        CloudFileStorage s = node("writer");
        ObjectSpace space = space(s);
        Database db = space.getDatabase("db");
        Set<Long> released = compactAwayVersionOne(s, db, space);
        Set<String> releasedChunks = chunkKeys(s, released);
        clock.advance(GRACE);

        s3.setErrorRate(1.0, Set.of(MockS3Client.Operation.DELETE));
        s.collectGarbageNow();
        assertThat(s.garbageCollectionFailure()).isPresent();
        assertThat(s.pendingSegmentDeletions()).isEqualTo(released.size());
        writeVersion(db, 200, "v3");
        s.uploadNow();
        assertThat(allChunkKeys(s)).containsAll(releasedChunks);

        s3.setErrorRate(0);
        s.collectGarbageNow();
        assertThat(s.garbageCollectionFailure()).isEmpty();
        assertThat(s.pendingSegmentDeletions()).isZero();
        assertThat(allChunkKeys(s)).doesNotContainAnyElementsOf(releasedChunks);
        assertThat(contents(db)).isEqualTo(expected(200, "v3"));
    }

    @Test
    void theGraceCountsFromWhenThePutOfTheRootThatDroppedTheSegmentReturnedNotFromWhenItStarted() {
        // every root PUT takes a minute: a reader may read the older root until the new one is in
        AtomicLong droppedAt = new AtomicLong(-1);
        ObjectStore slowRoots = new ForwardingObjectStore(s3) {
            @Override
            public String putIfMatch(String key, byte[] data, String etag, Map<String, String> metadata) {
                String result = s3.putIfMatch(key, data, etag, metadata);
                clock.advance(Duration.ofMinutes(1));
                if (droppedAt.get() < 0 && new String(data, StandardCharsets.UTF_8).contains("released=")) {
                    droppedAt.set(clock.millis());
                }
                return result;
            }
        };
        CloudFileStorage s = node("writer", slowRoots);
        ObjectSpace space = space(s);
        Set<Long> released = compactAwayVersionOne(s, space.getDatabase("db"), space);
        Set<String> releasedChunks = chunkKeys(s, released);
        s.collectGarbageNow();
        assertThat(droppedAt.get()).isPositive();

        clock.advance(Duration.ofMillis(droppedAt.get() + GRACE.toMillis() - 1_000 - clock.millis()));
        s.collectGarbageNow();
        assertThat(allChunkKeys(s)).containsAll(releasedChunks);

        clock.advance(Duration.ofSeconds(1));
        s.collectGarbageNow();
        assertThat(allChunkKeys(s)).doesNotContainAnyElementsOf(releasedChunks);
    }

    @Test
    void aGraceThatIsNotPositiveIsRefusedNamingIt() {
        assertThatThrownBy(() -> CloudFileStorage.Options.defaults().withGcGrace(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gc grace");
    }
}
