package io.protobase.storage.cluster;

import org.apache.ratis.protocol.RaftPeerId;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@link LeadershipCheck}'s rounds of term questions, with the voters' answers given by the test (the
 * end-to-end behaviour, with real Ratis servers, is {@code ClusterLeaderPauseTest} and the fault harness).
 */
class LeadershipCheckTest {

    private static final RaftPeerId N1 = RaftPeerId.valueOf("n1");
    private static final RaftPeerId N2 = RaftPeerId.valueOf("n2");
    private static final RaftPeerId N3 = RaftPeerId.valueOf("n3");
    private static final List<Set<RaftPeerId>> THREE = List.of(Set.of(N1, N2, N3));
    private static final long RETRY = TimeUnit.MILLISECONDS.toNanos(5);

    /** The questions asked, in order, each answered when the test completes it. */
    private final List<Question> asked = new CopyOnWriteArrayList<>();
    private final LeadershipCheck check = new LeadershipCheck(N1, voter -> {
        Question q = new Question(voter, new CompletableFuture<>());
        asked.add(q);
        return q.answer();
    }, RETRY);

    private record Question(RaftPeerId voter, CompletableFuture<Long> answer) {
    }

    @Test
    void aFollowerReadConfirmedByTheLeadersAndItsOwnTermAsksNoOne() throws Exception {
        // this node (n1) follows n2, which named the index in term 7; n1 is at 7 too: two of three
        assertThat(check.confirm(7, Map.of(N2, 7L, N1, 7L), THREE, deadline()))
                .isEqualTo(LeadershipCheck.Outcome.CONFIRMED);
        assertThat(asked).isEmpty();
    }

    @Test
    void aLeadersReadIsConfirmedOnceOneFollowerReportsNoLaterTerm() throws Exception {
        CompletableFuture<LeadershipCheck.Outcome> read = confirmInBackground(7, Map.of(N1, 7L));
        await().until(() -> asked.size() == 2);
        assertThat(asked).extracting(Question::voter).containsExactlyInAnyOrder(N2, N3);
        answer(N3, 6); // a follower behind in terms has not voted in a later one either
        assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo(LeadershipCheck.Outcome.CONFIRMED);
    }

    @Test
    void aVoterAtALaterTermMakesTheReadAskForAReadIndexAgain() throws Exception {
        CompletableFuture<LeadershipCheck.Outcome> read = confirmInBackground(7, Map.of(N1, 7L));
        await().until(() -> asked.size() == 2);
        answer(N2, 8);
        assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo(LeadershipCheck.Outcome.NEWER_TERM);
    }

    @Test
    void aReadThatJoinsWhileARoundIsOutWaitsForTheNextRound() throws Exception {
        CompletableFuture<LeadershipCheck.Outcome> first = confirmInBackground(7, Map.of(N1, 7L));
        await().until(() -> asked.size() == 2);
        CompletableFuture<LeadershipCheck.Outcome> second = confirmInBackground(7, Map.of(N1, 7L));
        // the second read cannot use answers to questions asked before it began: n2 may have answered
        // before it did, so it waits for the round that starts when the first one is settled
        answer(N2, 7);
        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(LeadershipCheck.Outcome.CONFIRMED);
        // the next round asked n2 again, but not n3, whose first question is still unanswered
        await().until(() -> asked.size() == 3);
        assertThat(asked.get(2).voter()).isEqualTo(N2);
        assertThat(second).isNotDone();
        asked.get(2).answer().complete(7L);
        assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(LeadershipCheck.Outcome.CONFIRMED);
    }

    @Test
    void readsWhileOneVoterIsSilentAskOnlyTheOtherAndAreConfirmed() throws Exception {
        for (int read = 0; read < 5; read++) {
            long before = asked.stream().filter(q -> q.voter().equals(N2)).count();
            CompletableFuture<LeadershipCheck.Outcome> r = confirmInBackground(7, Map.of(N1, 7L));
            await().until(() -> asked.stream().filter(q -> q.voter().equals(N2)).count() == before + 1);
            answer(N2, 7);
            assertThat(r.get(10, TimeUnit.SECONDS)).isEqualTo(LeadershipCheck.Outcome.CONFIRMED);
        }
        // n3 (a paused process) was asked once, not once per read
        assertThat(asked.stream().filter(q -> q.voter().equals(N3))).hasSize(1);
    }

    @Test
    void aVoterWhoseAnswerFailedIsAskedAgainAfterAPause() throws Exception {
        CompletableFuture<LeadershipCheck.Outcome> read = confirmInBackground(7, Map.of(N1, 7L));
        await().until(() -> asked.size() == 2);
        fail(N2);
        fail(N3);
        // the read asks again (both voters left alone for a moment first) until a majority answers
        await().until(() -> asked.stream().filter(q -> !q.answer().isDone()).count() == 2);
        answer(N3, 7);
        assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo(LeadershipCheck.Outcome.CONFIRMED);
    }

    @Test
    void noMajorityBeforeTheDeadlineIsATimeout() {
        assertThatThrownBy(() -> check.confirm(7, Map.of(N1, 7L), THREE,
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200)))
                .isInstanceOf(TimeoutException.class).hasMessageContaining("no majority of the voters answered");
    }

    @Test
    void duringAMembershipChangeBothConfigurationsNeedAMajority() {
        RaftPeerId n4 = RaftPeerId.valueOf("n4");
        RaftPeerId n5 = RaftPeerId.valueOf("n5");
        List<Set<RaftPeerId>> joint = List.of(Set.of(N1, n4, n5), Set.of(N1, N2, N3));
        assertThat(LeadershipCheck.judge(7, Map.of(N1, 7L, N2, 7L), joint)).isNull();
        assertThat(LeadershipCheck.judge(7, Map.of(N1, 7L, N2, 7L, n4, 5L), joint))
                .isEqualTo(LeadershipCheck.Outcome.CONFIRMED);
        assertThat(LeadershipCheck.judge(7, Map.of(N1, 7L), List.of())).as("no voters named").isNull();
        assertThat(LeadershipCheck.judge(7, Map.of(N1, 7L), List.of(Set.of()))).as("an empty configuration").isNull();
    }

    @Test
    void aReadIndexAnswerKeepsItsFieldsThroughItsEncoding() {
        ReadIndex answer = new ReadIndex(true, 7, 1234, List.of(Set.of(N1, N2, N3), Set.of(N1, N2)));
        assertThat(ReadIndex.decode(ByteBuffer.wrap(answer.encode()))).isEqualTo(answer);
        assertThat(ReadIndex.decode(ByteBuffer.wrap(ReadIndex.notLeader(9).encode())))
                .isEqualTo(ReadIndex.notLeader(9));
        assertThatThrownBy(() -> ReadIndex.decode(ByteBuffer.wrap(new byte[8])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same ProtoBase version");
    }

    private CompletableFuture<LeadershipCheck.Outcome> confirmInBackground(long term, Map<RaftPeerId, Long> known) {
        CompletableFuture<LeadershipCheck.Outcome> outcome = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                outcome.complete(check.confirm(term, known, THREE, deadline()));
            } catch (Exception e) {
                outcome.completeExceptionally(e);
            }
        }, "confirm");
        t.setDaemon(true);
        t.start();
        return outcome;
    }

    /** Answers the open question to {@code voter}. */
    private void answer(RaftPeerId voter, long term) {
        open(voter).answer().complete(term);
    }

    private void fail(RaftPeerId voter) {
        open(voter).answer().completeExceptionally(new IOException("connection refused by " + voter));
    }

    private Question open(RaftPeerId voter) {
        return asked.stream().filter(q -> q.voter().equals(voter) && !q.answer().isDone()).findFirst().orElseThrow();
    }

    private static long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    }
}
