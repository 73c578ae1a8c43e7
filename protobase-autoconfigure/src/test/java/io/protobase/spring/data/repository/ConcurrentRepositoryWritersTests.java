package io.protobase.spring.data.repository;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.spring.data.core.ProtoBaseTemplate;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.data.repository.support.ProtoBaseRepositoryFactory;
import io.protobase.spring.data.sample.Account;
import io.protobase.spring.data.sample.AccountRepository;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.ForwardingStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.OptimisticLockingFailureException;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Concurrent repository writers outside {@code @Transactional}: saves of different entities of one
 * type touch different keys of the root and never conflict; saves of one versioned entity from the
 * same loaded version leave exactly one winner per round.
 *
 * <p>Each save runs in a transaction of its own, which a scheduler could run one after another. The
 * storage here makes the saves of a round overlap for certain: it holds every writer's first atom
 * until all writers of the round have pushed one, so all their transactions have taken their
 * snapshot and done their work before any of them is published.
 */
class ConcurrentRepositoryWritersTests {

    private static final int THREADS = 8;
    private static final int ROUNDS = 10;

    private final OverlappingCommits storage = new OverlappingCommits();
    private final ObjectSpace space = new ObjectSpace(storage);
    private final Database db = space.getDatabase("test");
    private final AccountRepository accounts = new ProtoBaseRepositoryFactory(
            new ProtoBaseTemplate(db, new ProtoBaseMappingContext())).getRepository(AccountRepository.class);
    private final ExecutorService pool = Executors.newFixedThreadPool(THREADS);

    @AfterEach
    void close() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        space.close();
    }

    @Test
    void overlappingSavesOfDistinctEntitiesNeverConflict() throws Exception {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            ids.add(accounts.save(new Account("owner" + i, 0)).getId());
        }
        long conflictsBefore = space.statistics().conflicts();
        long commitsBefore = space.statistics().commits();
        for (int round = 0; round < ROUNDS; round++) {
            storage.overlapNextCommits(THREADS);
            List<Future<?>> futures = new ArrayList<>();
            for (Long id : ids) {
                futures.add(pool.submit(() -> {
                    Account a = accounts.findById(id).orElseThrow();
                    a.setBalance(a.getBalance() + 1);
                    accounts.save(a);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(1, TimeUnit.MINUTES);
            }
        }
        assertThat(space.statistics().conflicts() - conflictsBefore).isZero();
        assertThat(space.statistics().commits() - commitsBefore).isEqualTo((long) THREADS * ROUNDS);
        for (Long id : ids) {
            Account a = accounts.findById(id).orElseThrow();
            assertThat(a.getBalance()).isEqualTo(ROUNDS);
            assertThat(a.getVersion()).isEqualTo(ROUNDS);
        }
    }

    @Test
    void overlappingSavesOfOneEntityLeaveExactlyOneWinnerPerRound() throws Exception {
        Long id = accounts.save(new Account("shared", 0)).getId();
        long conflictsBefore = space.statistics().conflicts();
        for (int round = 0; round < ROUNDS; round++) {
            storage.overlapNextCommits(THREADS);
            AtomicInteger winners = new AtomicInteger();
            List<OptimisticLockingFailureException> losses = new ArrayList<>();
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                futures.add(pool.submit(() -> {
                    Account a = accounts.findById(id).orElseThrow();
                    a.setBalance(a.getBalance() + 1);
                    try {
                        accounts.save(a);
                        winners.incrementAndGet();
                    } catch (OptimisticLockingFailureException e) {
                        synchronized (losses) {
                            losses.add(e);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(1, TimeUnit.MINUTES);
            }
            assertThat(winners.get()).as("winners of round %d", round).isEqualTo(1);
            assertThat(losses).hasSize(THREADS - 1)
                    .allSatisfy(e -> assertThat(e).hasMessageContaining("Account with id " + id)
                            .hasMessageContaining("changed concurrently"));
        }
        // the losers' commits conflicted in the engine; their retries then found the new version
        assertThat(space.statistics().conflicts() - conflictsBefore)
                .isGreaterThanOrEqualTo((long) (THREADS - 1) * ROUNDS);
        Account a = accounts.findById(id).orElseThrow();
        assertThat(a.getBalance()).isEqualTo(ROUNDS);
        assertThat(a.getVersion()).isEqualTo(ROUNDS);
    }

    /**
     * A memory storage that, once armed for {@code n} writers, holds each thread's first pushed atom
     * until {@code n} threads have pushed one. A commit pushes its atoms after its transaction took
     * its snapshot and before it is published, so the {@code n} transactions then all overlap.
     */
    private static final class OverlappingCommits extends ForwardingStorage {

        private volatile CyclicBarrier allPushing;
        private final Set<Thread> arrived = ConcurrentHashMap.newKeySet();

        OverlappingCommits() {
            super(new MemoryStorage());
        }

        void overlapNextCommits(int writers) {
            arrived.clear();
            allPushing = new CyclicBarrier(writers);
        }

        @Override
        public AtomPointer push(byte[] atom) {
            CyclicBarrier barrier = allPushing;
            if (barrier != null && arrived.add(Thread.currentThread())) {
                try {
                    barrier.await(1, TimeUnit.MINUTES);
                } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
                    throw new IllegalStateException("the writers of the round did not all commit", e);
                }
            }
            return super.push(atom);
        }
    }
}
