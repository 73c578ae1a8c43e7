package io.protobase;

import io.protobase.DatabaseHistoryTest.TestClock;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link ObjectSpace.Builder#historyRetention}: how far back {@link Database#at} reaches, and what stays retained. */
class HistoryRetentionTest {

    private static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");
    private static final Duration RETENTION = Duration.ofMinutes(10);

    private final TestClock clock = new TestClock(T0);
    private final ObjectSpace space = ObjectSpace.builder(new MemoryStorage()).clock(clock).historyRetention(RETENTION)
            .build();
    private final Database db = space.getDatabase("db");

    @AfterEach
    void close() {
        space.close();
    }

    private Instant commit(Object x) {
        clock.advance(Duration.ofMinutes(1));
        db.write(tx -> {
            tx.setRootObject("x", x);
            return null;
        });
        return clock.instant();
    }

    private static Object x(Database view) {
        return view.read(tx -> tx.getRootObject("x"));
    }

    @Test
    void atWithinTheRetentionReadsTheVersionOfThatInstant() {
        Instant first = commit(1);
        commit(2);
        clock.advance(RETENTION.minus(Duration.ofMinutes(1)));

        assertThat(x(db.at(first))).isEqualTo(1);
        assertThat(x(db.at(clock.instant().minus(RETENTION)))).as("the oldest instant retention reaches").isEqualTo(1);
    }

    @Test
    void atBeyondTheRetentionFailsNamingTheInstantTheRetentionAndTheProperty() {
        Instant first = commit(1);
        commit(2);
        clock.advance(RETENTION);

        assertThatThrownBy(() -> db.at(first))
                .isInstanceOf(HistoryExpiredException.class)
                .isInstanceOf(ProtoBaseException.class)
                .hasMessageContaining("'db'")
                .hasMessageContaining(first.toString())
                .hasMessageContaining("PT10M")
                .hasMessageContaining("protobase.history.retention")
                .satisfies(e -> {
                    HistoryExpiredException h = (HistoryExpiredException) e;
                    assertThat(h.instant()).isEqualTo(first);
                    assertThat(h.retention()).isEqualTo(RETENTION);
                });
    }

    @Test
    void theDefaultRetentionIsOneMinute() {
        try (ObjectSpace defaults = new ObjectSpace(new MemoryStorage())) {
            assertThat(defaults.historyRetention()).isEqualTo(Duration.ofMinutes(1));
            Database d = defaults.getDatabase("db");
            assertThatThrownBy(() -> d.at(Instant.now().minus(Duration.ofMinutes(2))))
                    .isInstanceOf(HistoryExpiredException.class);
        }
    }

    @Test
    void aNegativeRetentionIsRefused() {
        assertThatThrownBy(() -> ObjectSpace.builder(new MemoryStorage()).historyRetention(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
    }

    @Test
    void anOpenTransactionKeepsReadingAndRetainingItsSnapshotPastTheRetention() {
        commit("old");
        Transaction tx = db.newReadOnlyTransaction();
        AtomPointer snapshot = space.currentState().pointer();
        for (int i = 0; i < 3; i++) {
            commit("new " + i);
            clock.advance(RETENTION);
        }

        assertThat(tx.getRootObject("x")).isEqualTo("old");
        assertThat(space.retention().retainedRoots().roots()).contains(snapshot);

        tx.close();
        assertThat(space.retention().retainedRoots().roots()).doesNotContain(snapshot);
        assertThat(space.retention().retainedRoots().expired())
                .as("the history link to it leads out of the retained set").isNotEmpty();
    }

    @Test
    void aHistoryViewKeepsItsVersionReadableAndRetainedWhileTheApplicationHoldsIt() {
        Instant first = commit("then");
        AtomPointer then = space.currentState().pointer();
        Database view = db.at(first);
        commit("later");
        clock.advance(RETENTION.multipliedBy(2));
        commit("now");

        assertThatThrownBy(() -> db.at(first)).isInstanceOf(HistoryExpiredException.class);
        assertThat(x(view)).as("the view taken within the retention").isEqualTo("then");
        assertThat(space.retention().retainedRoots().roots()).contains(then);
    }

    @Test
    void retainedRootsAreTheCurrentOneThoseWithinTheRetentionAndTheOneCurrentWhenItBegan() {
        commit(0);
        AtomPointer beforeWindow = space.currentState().pointer();
        commit(1);
        AtomPointer atWindowStart = space.currentState().pointer();
        clock.advance(RETENTION.minus(Duration.ofMinutes(2)));
        commit(2);
        AtomPointer inWindow = space.currentState().pointer();
        commit(3);
        AtomPointer current = space.currentState().pointer();

        SpaceRetention.RetainedRoots retained = space.retention().retainedRoots();

        assertThat(retained.roots()).containsExactlyInAnyOrder(current, inWindow, atWindowStart);
        assertThat(retained.expired()).contains(beforeWindow).doesNotContainAnyElementsOf(retained.roots());
    }
}
