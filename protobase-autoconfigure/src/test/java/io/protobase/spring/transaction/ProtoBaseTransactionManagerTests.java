package io.protobase.spring.transaction;

import io.protobase.ConflictException;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.TransactionStateException;
import io.protobase.collection.Dictionary;
import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionManagerCustomizationAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.retry.RetryPolicy;
import org.springframework.core.retry.RetryTemplate;
import org.springframework.dao.ConcurrencyFailureException;
import org.springframework.transaction.IllegalTransactionStateException;
import org.springframework.transaction.NestedTransactionNotSupportedException;
import org.springframework.transaction.TransactionExecution;
import org.springframework.transaction.TransactionExecutionListener;
import org.springframework.transaction.TransactionTimedOutException;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** {@code @Transactional} methods run in one ProtoBase transaction bound to the thread. */
class ProtoBaseTransactionManagerTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class,
                    TransactionManagerCustomizationAutoConfiguration.class, TransactionAutoConfiguration.class))
            .withPropertyValues("protobase.storage.type=memory")
            .withUserConfiguration(Services.class);

    private Accounts accounts;
    private Outer outer;
    private Database db;

    private void with(ContextCheck check) {
        runner.run(c -> {
            accounts = c.getBean(Accounts.class);
            outer = c.getBean(Outer.class);
            db = c.getBean(Database.class);
            check.accept(c);
        });
    }

    interface ContextCheck {
        void accept(AssertableApplicationContext context) throws Exception;
    }

    private Object balance(String who) {
        return db.read(tx -> {
            Dictionary d = tx.getRootObject("accounts", Dictionary.class);
            return d == null ? null : d.getAt(who);
        });
    }

    @Test
    void commitsWhenTheMethodReturns() {
        with(c -> {
            accounts.set("alice", 10);
            assertThat(balance("alice")).isEqualTo(10);
            assertThat(db.hasCurrentTransaction()).isFalse();
        });
    }

    @Test
    void abortsWhenTheMethodThrows() {
        with(c -> {
            accounts.set("alice", 10);
            assertThatThrownBy(() -> accounts.setThenFail("alice", 99)).isInstanceOf(IllegalStateException.class);
            assertThat(balance("alice")).isEqualTo(10);
            assertThat(c.getBean(ObjectSpace.class).activeTransactions()).isZero();
        });
    }

    @Test
    void aTransactionPastItsTimeoutIsAbortedAtCommitWithATimeoutFailureAndCommitsNothing() {
        with(c -> {
            assertThatThrownBy(() -> accounts.setAfterOneSecondTimeout("alice", 10))
                    .isInstanceOf(TransactionTimedOutException.class)
                    .hasMessageContaining("database 'default'").hasMessageContaining("timeout of 1 s")
                    .hasMessageContaining("nothing of it was committed")
                    .hasMessageContaining("spring.transaction.default-timeout");
            assertThat(balance("alice")).isNull();
            assertThat(db.hasCurrentTransaction()).isFalse();
            assertThat(c.getBean(ObjectSpace.class).activeTransactions()).isZero();
        });
    }

    @Test
    void aTransactionWithinItsTimeoutCommits() {
        with(c -> {
            accounts.setWithinTimeout("alice", 10);
            assertThat(balance("alice")).isEqualTo(10);
        });
    }

    @Test
    void springTransactionDefaultTimeoutBoundsTransactionalMethodsWithoutTheirOwnTimeout() {
        runner.withPropertyValues("spring.transaction.default-timeout=1s").run(c -> {
            accounts = c.getBean(Accounts.class);
            db = c.getBean(Database.class);
            assertThat(c.getBean(ProtoBaseTransactionManager.class).getDefaultTimeout()).isEqualTo(1);
            assertThatThrownBy(() -> accounts.setAfter("alice", 10, Duration.ofSeconds(1)))
                    .isInstanceOf(TransactionTimedOutException.class).hasMessageContaining("timeout of 1 s");
            assertThat(balance("alice")).isNull();
            accounts.set("bob", 5);
            assertThat(balance("bob")).isEqualTo(5);
        });
    }

    @Test
    void transactionExecutionListenersOfTheApplicationSeeEveryTransaction() {
        runner.withUserConfiguration(Listening.class).run(c -> {
            accounts = c.getBean(Accounts.class);
            List<String> events = c.getBean(Listening.class).events;
            accounts.set("alice", 10);
            assertThat(events).containsExactly("beforeBegin", "afterBegin", "beforeCommit", "afterCommit");
            events.clear();
            assertThatThrownBy(() -> accounts.setThenFail("alice", 99)).isInstanceOf(IllegalStateException.class);
            assertThat(events).containsExactly("beforeBegin", "afterBegin", "beforeRollback", "afterRollback");
        });
    }

    @Test
    void currentTransactionOutsideATransactionalMethodFailsClearly() {
        with(c -> assertThatThrownBy(db::currentTransaction).isInstanceOf(TransactionStateException.class)
                .hasMessageContaining("@Transactional"));
    }

    @Test
    void readOnlyMethodsGetAReadOnlyTransaction() {
        with(c -> {
            accounts.set("alice", 10);
            assertThat(accounts.readAs("alice")).isEqualTo(10);
            assertThatThrownBy(() -> accounts.writeInReadOnly("alice", 1)).isInstanceOf(TransactionStateException.class)
                    .hasMessageContaining("read-only");
            assertThat(balance("alice")).isEqualTo(10);
        });
    }

    @Test
    void requiredJoinsTheCallersTransaction() {
        with(c -> {
            outer.requiredTwice("alice", "bob");
            assertThat(balance("alice")).isEqualTo(1);
            assertThat(balance("bob")).isEqualTo(1);
            assertThat(outer.sameTransactionInside()).isTrue();
        });
    }

    @Test
    void aFailingInnerRequiredMethodRollsBackTheWholeTransaction() {
        with(c -> {
            assertThatThrownBy(() -> outer.innerFailsButOuterCatches("alice"))
                    .isInstanceOf(org.springframework.transaction.UnexpectedRollbackException.class);
            assertThat(balance("alice")).isNull();
        });
    }

    @Test
    void requiresNewCommitsIndependentlyOfTheSuspendedOuterTransaction() {
        with(c -> {
            assertThatThrownBy(() -> outer.requiresNewThenFail("audit", "alice"))
                    .isInstanceOf(IllegalStateException.class);
            assertThat(balance("audit")).isEqualTo(1);
            assertThat(balance("alice")).isNull();
            assertThat(outer.differentTransactionInRequiresNew()).isTrue();
        });
    }

    @Test
    void supportsRunsWithoutATransactionWhenThereIsNone() {
        with(c -> {
            assertThat(accounts.supportsHasTransaction()).isFalse();
            assertThat(outer.supportsInside()).isTrue();
        });
    }

    @Test
    void mandatoryRequiresAnExistingTransaction() {
        with(c -> {
            assertThatThrownBy(() -> accounts.mandatory("alice", 1))
                    .isInstanceOf(IllegalTransactionStateException.class);
            outer.mandatoryInside("alice");
            assertThat(balance("alice")).isEqualTo(5);
        });
    }

    @Test
    void neverRefusesAnExistingTransaction() {
        with(c -> {
            assertThat(accounts.never()).isFalse();
            assertThatThrownBy(outer::neverInside).isInstanceOf(IllegalTransactionStateException.class);
        });
    }

    @Test
    void nestedIsRefused() {
        with(c -> assertThatThrownBy(outer::nestedInside).isInstanceOf(NestedTransactionNotSupportedException.class));
    }

    @Test
    void aConflictSurfacesAsAConcurrencyFailureNamingTheKey() {
        with(c -> {
            accounts.set("alice", 0);
            long conflictsBefore = c.getBean(ObjectSpace.class).statistics().conflicts();
            CountDownLatch read = new CountDownLatch(1);
            CountDownLatch changed = new CountDownLatch(1);
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<?> slow = pool.submit(() -> {
                    accounts.incrementAfter("alice", read, changed);
                    return null;
                });
                assertThat(read.await(1, TimeUnit.MINUTES)).isTrue();
                accounts.set("alice", 100);
                changed.countDown();
                assertThatThrownBy(slow::get).cause().isInstanceOf(ProtoBaseConflictFailureException.class)
                        .isInstanceOf(ConcurrencyFailureException.class)
                        .hasCauseInstanceOf(ConflictException.class).hasMessageContaining("'alice'");
            } finally {
                pool.shutdownNow();
            }
            assertThat(balance("alice")).isEqualTo(100);
            assertThat(c.getBean(ObjectSpace.class).statistics().conflicts() - conflictsBefore).isEqualTo(1);
        });
    }

    @Test
    void overlappingTransactionalIncrementsConflictAndRetryToolingRetriesThemUntilNoneIsLost() {
        with(c -> {
            ObjectSpace space = c.getBean(ObjectSpace.class);
            accounts.set("counter", 0);
            long conflictsBefore = space.statistics().conflicts();
            RetryTemplate retry = new RetryTemplate(RetryPolicy.builder().includes(ConcurrencyFailureException.class)
                    .maxRetries(1000).delay(Duration.ofMillis(1)).jitter(Duration.ofMillis(1)).build());
            AtomicInteger attempts = new AtomicInteger();
            int threads = 4;
            int rounds = 5;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                for (int round = 0; round < rounds; round++) {
                    // the first attempts of a round all read the counter before any of them commits
                    CyclicBarrier allRead = new CyclicBarrier(threads);
                    List<Future<?>> futures = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        futures.add(pool.submit(() -> {
                            AtomicBoolean first = new AtomicBoolean(true);
                            retry.execute(() -> {
                                attempts.incrementAndGet();
                                accounts.incrementWhenAllRead("counter", first.getAndSet(false) ? allRead : null);
                                return null;
                            });
                            return null;
                        }));
                    }
                    for (Future<?> f : futures) {
                        f.get(1, TimeUnit.MINUTES);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(balance("counter")).isEqualTo(threads * rounds);
            long conflicts = space.statistics().conflicts() - conflictsBefore;
            // per round one of the overlapping first attempts commits, the others conflict
            assertThat(conflicts).isGreaterThanOrEqualTo((long) (threads - 1) * rounds);
            assertThat(attempts.get() - threads * rounds).as("retries").isEqualTo(conflicts);
            assertThat(space.activeTransactions()).isZero();
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class Services {
        @Bean
        Accounts accounts(Database database) {
            return new Accounts(database);
        }

        @Bean
        Outer outer(Accounts accounts, Database database) {
            return new Outer(accounts, database);
        }
    }

    /** Records the transaction events Spring reports to the application's listeners. */
    @Configuration(proxyBeanMethods = false)
    static class Listening {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Bean
        TransactionExecutionListener recordingListener() {
            return new TransactionExecutionListener() {
                @Override
                public void beforeBegin(TransactionExecution transaction) {
                    events.add("beforeBegin");
                }

                @Override
                public void afterBegin(TransactionExecution transaction, Throwable beginFailure) {
                    events.add("afterBegin");
                }

                @Override
                public void beforeCommit(TransactionExecution transaction) {
                    events.add("beforeCommit");
                }

                @Override
                public void afterCommit(TransactionExecution transaction, Throwable commitFailure) {
                    events.add("afterCommit");
                }

                @Override
                public void beforeRollback(TransactionExecution transaction) {
                    events.add("beforeRollback");
                }

                @Override
                public void afterRollback(TransactionExecution transaction, Throwable rollbackFailure) {
                    events.add("afterRollback");
                }
            };
        }
    }

    /** A transactional service working on the root dictionary "accounts". */
    static class Accounts {
        final Database database;

        Accounts(Database database) {
            this.database = database;
        }

        private Dictionary dictionary() {
            Dictionary d = database.currentTransaction().getRootObject("accounts", Dictionary.class);
            return d == null ? Dictionary.empty() : d;
        }

        void put(String who, int amount) {
            database.currentTransaction().setRootObject("accounts", dictionary().setAt(who, amount));
        }

        @Transactional
        public void set(String who, int amount) {
            put(who, amount);
        }

        @Transactional(timeout = 1)
        public void setAfterOneSecondTimeout(String who, int amount) {
            setAfter(who, amount, Duration.ofSeconds(1));
        }

        @Transactional(timeout = 60)
        public void setWithinTimeout(String who, int amount) {
            put(who, amount);
        }

        /**
         * Writes, then lets {@code time} pass on the wall clock, which Spring's deadlines are measured
         * on: the deadline was set when the transaction began, before this method, so it has passed.
         */
        @Transactional
        public void setAfter(String who, int amount, Duration time) {
            put(who, amount);
            long begun = System.currentTimeMillis();
            await().atMost(time.plusMinutes(1)).pollInterval(Duration.ofMillis(50))
                    .until(() -> System.currentTimeMillis() > begun + time.toMillis());
        }

        @Transactional
        public void setThenFail(String who, int amount) {
            put(who, amount);
            throw new IllegalStateException("boom");
        }

        @Transactional
        public void incrementAfter(String who, CountDownLatch read,
                CountDownLatch changed) throws InterruptedException {
            Integer n = (Integer) dictionary().getAt(who);
            read.countDown();
            changed.await(1, TimeUnit.MINUTES);
            put(who, n + 1);
        }

        /** Increments after every caller holding {@code allRead} has read the old value too. */
        @Transactional
        public void incrementWhenAllRead(String who, CyclicBarrier allRead) {
            Integer n = (Integer) dictionary().getAt(who);
            if (allRead != null) {
                try {
                    allRead.await(1, TimeUnit.MINUTES);
                } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
                    throw new IllegalStateException("the other incrementers did not read", e);
                }
            }
            put(who, n + 1);
        }

        @Transactional(readOnly = true)
        public Object readAs(String who) {
            assertThat(database.currentTransaction().isReadOnly()).isTrue();
            return dictionary().getAt(who);
        }

        @Transactional(readOnly = true)
        public void writeInReadOnly(String who, int amount) {
            put(who, amount);
        }

        @Transactional(propagation = Propagation.SUPPORTS)
        public boolean supportsHasTransaction() {
            return database.hasCurrentTransaction();
        }

        @Transactional(propagation = Propagation.MANDATORY)
        public void mandatory(String who, int amount) {
            put(who, amount);
        }

        @Transactional(propagation = Propagation.NEVER)
        public boolean never() {
            return database.hasCurrentTransaction();
        }

        @Transactional(propagation = Propagation.REQUIRES_NEW)
        public Object requiresNew(String who, int amount) {
            put(who, amount);
            return database.currentTransaction();
        }

        @Transactional(propagation = Propagation.NESTED)
        public void nested() {
        }

        @Transactional
        public Object required(String who, int amount) {
            put(who, amount);
            return database.currentTransaction();
        }
    }

    /** Calls {@link Accounts} from inside its own transactions, to exercise propagation. */
    static class Outer {
        final Accounts accounts;
        final Database database;

        Outer(Accounts accounts, Database database) {
            this.accounts = accounts;
            this.database = database;
        }

        @Transactional
        public void requiredTwice(String a, String b) {
            accounts.required(a, 1);
            accounts.required(b, 1);
        }

        @Transactional
        public boolean sameTransactionInside() {
            return accounts.required("x", 0) == database.currentTransaction();
        }

        @Transactional
        public void innerFailsButOuterCatches(String who) {
            accounts.put(who, 1);
            try {
                accounts.setThenFail(who, 2);
            } catch (IllegalStateException expected) {
                // swallowed: the shared transaction is rollback-only now
            }
        }

        @Transactional
        public void requiresNewThenFail(String audit, String who) {
            accounts.put(who, 1);
            accounts.requiresNew(audit, 1);
            throw new IllegalStateException("outer fails after the inner committed");
        }

        @Transactional
        public boolean differentTransactionInRequiresNew() {
            Object mine = database.currentTransaction();
            Object inner = accounts.requiresNew("y", 0);
            return inner != mine && database.currentTransaction() == mine;
        }

        @Transactional
        public boolean supportsInside() {
            return accounts.supportsHasTransaction();
        }

        @Transactional
        public void mandatoryInside(String who) {
            accounts.mandatory(who, 5);
        }

        @Transactional
        public void neverInside() {
            accounts.never();
        }

        @Transactional
        public void nestedInside() {
            accounts.nested();
        }
    }
}
