package io.protobase.spring.autoconfigure.data;

import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.spring.data.sample.Customer;
import io.protobase.spring.data.sample.CustomerRepository;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.dao.ConcurrencyFailureException;
import org.springframework.transaction.TransactionTimedOutException;
import org.springframework.transaction.annotation.Transactional;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Repository calls join {@code @Transactional} methods: one commit, one rollback, one conflict check. */
class ProtoBaseRepositoryTransactionTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class,
                    TransactionAutoConfiguration.class, ProtoBaseRepositoriesAutoConfiguration.class))
            .withPropertyValues("protobase.storage.type=memory").withUserConfiguration(Config.class);

    @Test
    void rollbackUndoesEveryRepositoryCallOfTheMethod() {
        runner.run(c -> {
            Shop shop = c.getBean(Shop.class);
            CustomerRepository customers = c.getBean(CustomerRepository.class);
            customers.save(new Customer("keep", "Kept", Customer.Tier.GOLD));
            assertThatThrownBy(shop::saveTwoDeleteOneThenFail).isInstanceOf(IllegalStateException.class);
            assertThat(customers.findAll()).extracting(Customer::id).containsExactly("keep");
            shop.saveTwo();
            assertThat(customers.count()).isEqualTo(3);
        });
    }

    @Test
    void aRepositoryCallPastTheMethodsTimeoutFailsAtOnceAndTheMethodCommitsNothing() {
        runner.run(c -> {
            Shop shop = c.getBean(Shop.class);
            CustomerRepository customers = c.getBean(CustomerRepository.class);
            List<String> savedInTime = new ArrayList<>();
            assertThatThrownBy(() -> shop.saveThenSaveAfterTheTimeout(savedInTime))
                    .isInstanceOf(TransactionTimedOutException.class);
            assertThat(savedInTime).as("only the call within the timeout returned").containsExactly("early");
            assertThat(customers.count()).isZero();
        });
    }

    @Test
    void callsInsideTheMethodSeeItsOwnUncommittedWrites() {
        runner.run(c -> assertThat(c.getBean(Shop.class).saveThenRead()).isEqualTo(2));
    }

    @Test
    void transactionsUpdatingTheSameEntityLeaveOneWinner() throws Exception {
        runner.run(c -> {
            Shop shop = c.getBean(Shop.class);
            c.getBean(CustomerRepository.class).save(new Customer("c1", "Ann", Customer.Tier.BRONZE));
            List<Throwable> failures = race(shop, "c1", "c1");
            assertThat(failures).hasSize(1);
            assertThat(failures.get(0)).isInstanceOf(ConcurrencyFailureException.class);
        });
    }

    @Test
    void transactionsUpdatingDifferentEntitiesBothCommit() throws Exception {
        runner.run(c -> {
            Shop shop = c.getBean(Shop.class);
            CustomerRepository customers = c.getBean(CustomerRepository.class);
            customers.save(new Customer("c1", "Ann", Customer.Tier.BRONZE));
            customers.save(new Customer("c2", "Bob", Customer.Tier.BRONZE));
            assertThat(race(shop, "c1", "c2")).isEmpty();
            assertThat(customers.findById("c1").orElseThrow().name()).startsWith("renamed");
            assertThat(customers.findById("c2").orElseThrow().name()).startsWith("renamed");
        });
    }

    /** Two transactions read their customer, wait until both have read, then rename it; returns the failures. */
    private static List<Throwable> race(Shop shop, String first, String second) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CountDownLatch bothRead = new CountDownLatch(2);
            List<Future<?>> futures = List.of(pool.submit(() -> shop.rename(first, "renamed 1", bothRead)),
                    pool.submit(() -> shop.rename(second, "renamed 2", bothRead)));
            List<Throwable> failures = new ArrayList<>();
            for (Future<?> f : futures) {
                try {
                    f.get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    failures.add(e.getCause());
                }
            }
            return failures;
        } finally {
            pool.shutdownNow();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = Customer.class)
    static class Config {

        @Bean
        Shop shop(CustomerRepository customers) {
            return new Shop(customers);
        }
    }

    static class Shop {

        private final CustomerRepository customers;

        Shop(CustomerRepository customers) {
            this.customers = customers;
        }

        @Transactional
        public void saveTwoDeleteOneThenFail() {
            customers.save(new Customer("a", "A", Customer.Tier.BRONZE));
            customers.save(new Customer("b", "B", Customer.Tier.BRONZE));
            customers.deleteById("keep");
            throw new IllegalStateException("fail after three repository calls");
        }

        @Transactional
        public void saveTwo() {
            customers.saveAll(List.of(new Customer("a", "A", Customer.Tier.BRONZE),
                    new Customer("b", "B", Customer.Tier.BRONZE)));
        }

        @Transactional
        public long saveThenRead() {
            customers.save(new Customer("x", "X", Customer.Tier.SILVER));
            customers.save(new Customer("y", "Y", Customer.Tier.SILVER));
            return customers.findById("x").isPresent() ? customers.count() : -1;
        }

        /** Saves, lets the one-second timeout pass on the wall clock Spring measures it on, then saves again. */
        @Transactional(timeout = 1)
        public void saveThenSaveAfterTheTimeout(List<String> savedInTime) {
            savedInTime.add(customers.save(new Customer("early", "E", Customer.Tier.BRONZE)).id());
            long begun = System.currentTimeMillis();
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(50))
                    .until(() -> System.currentTimeMillis() > begun + 1000);
            savedInTime.add(customers.save(new Customer("late", "L", Customer.Tier.BRONZE)).id());
        }

        @Transactional
        public void rename(String id, String name, CountDownLatch bothRead) {
            Customer c = customers.findById(id).orElseThrow();
            bothRead.countDown();
            try {
                bothRead.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            customers.save(new Customer(id, name, c.tier()));
        }
    }
}
