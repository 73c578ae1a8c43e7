package io.protobase.spring.data.repository;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.spring.data.core.ProtoBaseTemplate;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.data.repository.support.ProtoBaseRepositoryFactory;
import io.protobase.spring.data.sample.Account;
import io.protobase.spring.data.sample.AccountRepository;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.ConcurrencyFailureException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Concurrent repository writers outside {@code @Transactional}: saves of different entities of one
 * type touch different keys of the root and never conflict; saves of one versioned entity from the
 * same loaded version leave exactly one winner per round.
 */
class ConcurrentRepositoryWritersTests {

    private static final int THREADS = 8;

    private final ObjectSpace space = new ObjectSpace(new MemoryStorage());
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
    void writersOfDistinctEntitiesNeverConflict() throws Exception {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            ids.add(accounts.save(new Account("owner" + i, 0)).getId());
        }
        long conflictsBefore = space.statistics().conflicts();
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Future<?>> futures = new ArrayList<>();
        for (Long id : ids) {
            futures.add(pool.submit(() -> {
                start.await();
                for (int n = 0; n < 100; n++) {
                    Account a = accounts.findById(id).orElseThrow();
                    a.setBalance(a.getBalance() + 1);
                    accounts.save(a);
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
        assertThat(space.statistics().conflicts() - conflictsBefore).isZero();
        for (Long id : ids) {
            Account a = accounts.findById(id).orElseThrow();
            assertThat(a.getBalance()).isEqualTo(100);
            assertThat(a.getVersion()).isEqualTo(100);
        }
    }

    @Test
    void writersOfOneEntityLeaveExactlyOneWinnerPerRound() throws Exception {
        Long id = accounts.save(new Account("shared", 0)).getId();
        int rounds = 10;
        for (int round = 0; round < rounds; round++) {
            CyclicBarrier loaded = new CyclicBarrier(THREADS);
            AtomicInteger winners = new AtomicInteger();
            AtomicInteger losers = new AtomicInteger();
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                futures.add(pool.submit(() -> {
                    Account a = accounts.findById(id).orElseThrow();
                    loaded.await();
                    a.setBalance(a.getBalance() + 1);
                    try {
                        accounts.save(a);
                        winners.incrementAndGet();
                    } catch (ConcurrencyFailureException e) {
                        losers.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertThat(winners.get()).as("winners of round %d", round).isEqualTo(1);
            assertThat(losers.get()).isEqualTo(THREADS - 1);
        }
        Account a = accounts.findById(id).orElseThrow();
        assertThat(a.getBalance()).isEqualTo(rounds);
        assertThat(a.getVersion()).isEqualTo(rounds);
    }
}
