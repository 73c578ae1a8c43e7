package io.protobase.storage.cluster;

import org.apache.ratis.protocol.RaftPeerId;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * The second half of a linearizable read ({@link ClusterFileStorage#readRoot()}): proof that, at a moment
 * after a leader of term T named the read index ({@link ReadIndex}), no leader of a later term had been
 * elected. A voter whose current term is at most T has not voted in a later term (a vote moves the voter to
 * the candidate's term first, and terms never go back), and a leader needs the votes of a majority; so once a
 * majority of the voters of every configuration in force reported a term at most T, each report given after
 * the index was named, nothing had been committed in a later term before those reports, and the index covers
 * every commit acknowledged before the read began (Ongaro's dissertation, §6.4: the leader "exchanges
 * heartbeat messages with a majority" before it answers).
 *
 * <p>Why not Ratis's own read index: Apache Ratis 3.2.1 holds a leader's read index against a heartbeat
 * round only when the commit index is above the last one a round confirmed
 * ({@code ReadIndexHeartbeats.addAppendEntriesListener}); a leader whose commit index cannot move (one
 * deposed while it was paused, or cut off) answers every read index at once, from its stale state, until it
 * learns of the newer term, with or without its lease. The cluster fault harness found such reads.
 *
 * <p>Asking costs a round trip; concurrent reads share it, the way commits share an fsync: at most one round
 * of questions is in flight, the reads that arrive meanwhile wait for the next one, and that one starts as
 * soon as the round in flight has heard from enough voters to decide (or from all it asked). A voter whose
 * last question is unanswered (a paused process) is not asked again until it answers, and one whose answer
 * failed is asked again only after a pause, so a dead voter costs neither a queue of requests nor a wait
 * of each round.
 */
final class LeadershipCheck {

    /** Asks one voter for its current Raft term. */
    interface Terms {
        CompletableFuture<Long> of(RaftPeerId voter);
    }

    /** What the reports showed. */
    enum Outcome {
        /** A majority of every configuration was at most at the leader's term: the read index stands. */
        CONFIRMED,
        /** A voter was at a later term: the leader was deposed, or is about to be; ask for a read index again. */
        NEWER_TERM
    }

    private final RaftPeerId self;
    private final Terms terms;
    private final long retryNanos;
    private final Object lock = new Object();
    /** Voters asked whose answer has not come yet: not asked again until it does. Guarded by {@link #lock}. */
    private final Set<RaftPeerId> unanswered = new HashSet<>();
    /** When each voter whose last answer failed answered: asked again {@link #retryNanos} later. Guarded by lock. */
    private final Map<RaftPeerId, Long> failedAt = new HashMap<>();
    /** The round whose questions are out, or {@code null}. Guarded by {@link #lock}. */
    private Round inFlight;
    /** The round that starts once {@link #inFlight} settles, joined by reads that came too late for it. */
    private Round next;

    /**
     * @param self       this node's Raft server, never asked (the caller reports its term)
     * @param terms      how a voter is asked
     * @param retryNanos how long a voter whose answer failed is left alone, and how long a read waits before it
     *                   asks again after a round that told it nothing new
     */
    LeadershipCheck(RaftPeerId self, Terms terms, long retryNanos) {
        this.self = self;
        this.terms = terms;
        this.retryNanos = retryNanos;
    }

    /**
     * Confirms that a leader of {@code term} had not been succeeded at a moment after this call began.
     *
     * @param known          terms reported after the read index was named (the leader's own, this node's), by server
     * @param configurations the voters of each configuration in force (the previous one too during a change)
     * @throws TimeoutException when no majority answered before {@code deadlineNanos}
     */
    Outcome confirm(long term, Map<RaftPeerId, Long> known, List<? extends Collection<RaftPeerId>> configurations,
                    long deadlineNanos) throws TimeoutException, InterruptedException {
        Map<RaftPeerId, Long> reports = new HashMap<>(known);
        while (true) {
            Outcome outcome = judge(term, reports, configurations);
            if (outcome != null) {
                return outcome;
            }
            Round round = join(configurations);
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0 || !round.done.await(left, TimeUnit.NANOSECONDS)) {
                throw new TimeoutException("no majority of the voters answered within the request timeout (answers: "
                        + reports + ")");
            }
            int before = reports.size();
            reports.putAll(round.answers);
            if (reports.size() == before) {
                LockSupport.parkNanos(Math.max(0, Math.min(retryNanos, deadlineNanos - System.nanoTime())));
            }
        }
    }

    static Outcome judge(long term, Map<RaftPeerId, Long> reports,
                         List<? extends Collection<RaftPeerId>> configurations) {
        if (configurations.isEmpty()) {
            return null; // no voters named: nothing confirms anything
        }
        for (long reported : reports.values()) {
            if (reported > term) {
                return Outcome.NEWER_TERM;
            }
        }
        for (Collection<RaftPeerId> voters : configurations) {
            long at = voters.stream().filter(reports::containsKey).count();
            if (at * 2 <= voters.size()) {
                return null;
            }
        }
        return Outcome.CONFIRMED;
    }

    /** A round that starts after this call: the one about to start, or a new one when none is in flight. */
    private Round join(List<? extends Collection<RaftPeerId>> configurations) {
        Set<RaftPeerId> voters = new LinkedHashSet<>();
        configurations.forEach(voters::addAll);
        boolean selfVotes = voters.remove(self);
        Round round;
        List<Ask> asks = new ArrayList<>();
        synchronized (lock) {
            if (inFlight == null) {
                inFlight = new Round(voters, selfVotes);
                round = inFlight;
                begin(round, asks);
            } else {
                if (next == null) {
                    next = new Round(voters, selfVotes);
                }
                round = next;
            }
        }
        ask(asks);
        return round;
    }

    /** Puts the questions of {@code round} in {@code asks}, or settles it when there is no voter to ask. */
    private void begin(Round round, List<Ask> asks) {
        long now = System.nanoTime();
        failedAt.values().removeIf(at -> now - at >= retryNanos);
        for (RaftPeerId voter : round.voters) {
            if (!unanswered.contains(voter) && !failedAt.containsKey(voter)) {
                unanswered.add(voter);
                asks.add(new Ask(round, voter));
                round.pending++;
            }
        }
        if (round.pending == 0) {
            settle(round, asks);
        }
    }

    private void settle(Round round, List<Ask> asks) {
        round.settled = true;
        round.done.countDown();
        if (round == inFlight) {
            inFlight = next;
            next = null;
            if (inFlight != null) {
                begin(inFlight, asks);
            }
        }
    }

    private void ask(List<Ask> asks) {
        for (Ask a : asks) {
            CompletableFuture<Long> answer;
            try {
                answer = terms.of(a.voter());
            } catch (RuntimeException e) {
                answer = CompletableFuture.failedFuture(e);
            }
            answer.whenComplete((term, failure) -> answered(a, term, failure));
        }
    }

    private void answered(Ask a, Long term, Throwable failure) {
        List<Ask> asks = new ArrayList<>();
        synchronized (lock) {
            unanswered.remove(a.voter());
            Round round = a.round();
            if (failure == null && term != null) {
                round.answers.put(a.voter(), term);
                failedAt.remove(a.voter());
            } else {
                failedAt.put(a.voter(), System.nanoTime());
            }
            round.pending--;
            if (!round.settled && (round.pending == 0 || round.answers.size() >= round.enough)) {
                settle(round, asks);
            }
        }
        ask(asks);
    }

    private record Ask(Round round, RaftPeerId voter) {
    }

    /** One question to each voter but this node, asked together. */
    private static final class Round {
        final Set<RaftPeerId> voters;
        /** Answers that settle the round: with this node's own vote, a majority of all voters. */
        final int enough;
        final Map<RaftPeerId, Long> answers = new ConcurrentHashMap<>();
        final CountDownLatch done = new CountDownLatch(1);
        /** Guarded by the check's lock. */
        int pending;
        /** Guarded by the check's lock. */
        boolean settled;

        Round(Set<RaftPeerId> voters, boolean selfVotes) {
            this.voters = voters;
            int all = voters.size() + (selfVotes ? 1 : 0);
            this.enough = Math.max(1, all / 2 + 1 - (selfVotes ? 1 : 0));
        }
    }
}
