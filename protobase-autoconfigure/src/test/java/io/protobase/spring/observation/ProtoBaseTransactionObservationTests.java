package io.protobase.spring.observation;

import io.micrometer.common.KeyValues;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import io.protobase.ConflictException;
import io.protobase.Database;
import io.protobase.collection.Dictionary;
import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.spring.autoconfigure.data.ProtoBaseRepositoriesAutoConfiguration;
import io.protobase.spring.autoconfigure.observation.ProtoBaseObservationAutoConfiguration;
import io.protobase.spring.data.core.ProtoBaseOperations;
import io.protobase.spring.transaction.ProtoBaseConflictFailureException;
import io.protobase.spring.transaction.TransactionObserver;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.dao.ConcurrencyFailureException;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Transactions of the transaction manager and of the template, as Micrometer observations when the
 * application has an {@code ObservationRegistry}, and nothing observed without one.
 */
class ProtoBaseTransactionObservationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class,
                    ProtoBaseRepositoriesAutoConfiguration.class, ProtoBaseObservationAutoConfiguration.class))
            .withPropertyValues("protobase.storage.type=memory");

    private final ApplicationContextRunner observed = runner.withUserConfiguration(Registry.class);

    private static TransactionTemplate transactions(ApplicationContext context) {
        return new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
    }

    private static TestObservationRegistry registry(ApplicationContext context) {
        return context.getBean(TestObservationRegistry.class);
    }

    @Test
    void managedTransactionThatCommitsIsOneObservationWithDatabaseOutcomeAndAttempts() {
        observed.run(context -> {
            transactions(context).executeWithoutResult(status -> context.getBean(Database.class)
                    .currentTransaction().setRootObject("n", 1));
            TestObservationRegistryAssert.assertThat(registry(context)).hasNumberOfObservationsEqualTo(1)
                    .hasObservationWithNameEqualTo("protobase.transaction").that()
                    .hasContextualNameEqualTo("protobase managed default")
                    .hasLowCardinalityKeyValue("database", "default")
                    .hasLowCardinalityKeyValue("outcome", "committed")
                    .hasLowCardinalityKeyValue("attempts", "1")
                    .hasLowCardinalityKeyValue("kind", "managed")
                    .hasBeenStarted().hasBeenStopped().doesNotHaveError();
        });
    }

    @Test
    void managedTransactionThatThrowsIsRolledBack() {
        observed.run(context -> {
            assertThatThrownBy(() -> transactions(context).executeWithoutResult(status -> {
                throw new IllegalStateException("boom");
            })).isInstanceOf(IllegalStateException.class);
            TestObservationRegistryAssert.assertThat(registry(context))
                    .hasObservationWithNameEqualTo("protobase.transaction").that()
                    .hasLowCardinalityKeyValue("outcome", "rolled-back").hasBeenStopped();
        });
    }

    @Test
    void managedTransactionWhoseCommitConflictsIsAConflictWithTheError() {
        observed.run(context -> {
            Database db = context.getBean(Database.class);
            db.write(tx -> {
                tx.setRootObject("n", 1);
                return null;
            });
            assertThatThrownBy(() -> transactions(context).executeWithoutResult(status -> {
                Object n = db.currentTransaction().getRootObject("n");
                db.write(tx -> {
                    tx.setRootObject("n", 2);
                    return null;
                });
                db.currentTransaction().setRootObject("n", ((Integer) n) + 10);
            })).isInstanceOf(ProtoBaseConflictFailureException.class);
            TestObservationRegistryAssert.assertThat(registry(context))
                    .hasObservationWithNameEqualTo("protobase.transaction").that()
                    .hasLowCardinalityKeyValue("outcome", "conflict")
                    .assertThatError().isInstanceOf(ProtoBaseConflictFailureException.class);
        });
    }

    @Test
    void templateWriteCountsItsAttemptsWhenAConflictMadeItRetry() {
        observed.run(context -> {
            Database db = context.getBean(Database.class);
            db.write(tx -> {
                tx.setRootObject("n", Dictionary.of("k", 1));
                return null;
            });
            AtomicInteger runs = new AtomicInteger();
            context.getBean(ProtoBaseOperations.class).execute(true, tx -> {
                Dictionary n = tx.getRootObject("n", Dictionary.class);
                if (runs.incrementAndGet() == 1) {
                    db.write(other -> {
                        other.setRootObject("n", Dictionary.of("k", 2));
                        return null;
                    });
                }
                tx.setRootObject("n", n.setAt("k", ((Integer) n.getAt("k")) + 10));
                return null;
            });
            assertThat(runs).hasValue(2);
            TestObservationRegistryAssert.assertThat(registry(context)).hasNumberOfObservationsEqualTo(1)
                    .hasObservationWithNameEqualTo("protobase.transaction").that()
                    .hasContextualNameEqualTo("protobase write default")
                    .hasLowCardinalityKeyValue("kind", "write")
                    .hasLowCardinalityKeyValue("outcome", "committed")
                    .hasLowCardinalityKeyValue("attempts", "2");
        });
    }

    @Test
    void templateWriteThatConflictsOnEveryAttemptIsAConflictAfterTheLastAttempt() {
        observed.run(context -> {
            Database db = context.getBean(Database.class);
            db.write(tx -> {
                tx.setRootObject("n", 0);
                return null;
            });
            assertThatThrownBy(() -> context.getBean(ProtoBaseOperations.class).execute(true, tx -> {
                Integer n = (Integer) tx.getRootObject("n");
                db.write(other -> {
                    other.setRootObject("n", ((Integer) other.getRootObject("n")) + 1);
                    return null;
                });
                tx.setRootObject("n", n + 100);
                return null;
            })).isInstanceOf(ConcurrencyFailureException.class);
            TestObservationRegistryAssert.assertThat(registry(context))
                    .hasObservationWithNameEqualTo("protobase.transaction").that()
                    .hasLowCardinalityKeyValue("outcome", "conflict")
                    .hasLowCardinalityKeyValue("attempts", Integer.toString(Database.WRITE_ATTEMPTS))
                    .assertThatError().isInstanceOf(ConflictException.class);
        });
    }

    @Test
    void templateWorkThatThrowsIsRolledBackWithTheError() {
        observed.run(context -> {
            assertThatThrownBy(() -> context.getBean(ProtoBaseOperations.class).execute(true, tx -> {
                throw new IllegalArgumentException("bad entity");
            })).isInstanceOf(IllegalArgumentException.class);
            TestObservationRegistryAssert.assertThat(registry(context))
                    .hasObservationWithNameEqualTo("protobase.transaction").that()
                    .hasLowCardinalityKeyValue("outcome", "rolled-back")
                    .assertThatError().hasMessage("bad entity");
        });
    }

    @Test
    void templateReadIsObservedAsARead() {
        observed.run(context -> {
            context.getBean(ProtoBaseOperations.class).execute(false, tx -> tx.getRootObject("n"));
            TestObservationRegistryAssert.assertThat(registry(context))
                    .hasObservationWithNameEqualTo("protobase.transaction").that()
                    .hasLowCardinalityKeyValue("kind", "read").hasLowCardinalityKeyValue("outcome", "committed");
        });
    }

    @Test
    void operationsThatJoinAManagedTransactionAreObservedOnceWithIt() {
        observed.run(context -> {
            transactions(context).executeWithoutResult(status -> context.getBean(ProtoBaseOperations.class)
                    .execute(true, tx -> tx.getRootObject("n")));
            TestObservationRegistryAssert.assertThat(registry(context)).hasNumberOfObservationsEqualTo(1)
                    .hasObservationWithNameEqualTo("protobase.transaction").that()
                    .hasLowCardinalityKeyValue("kind", "managed");
        });
    }

    @Test
    void applicationConventionReplacesTheDefaultNamesAndKeys() {
        observed.withUserConfiguration(OwnConvention.class).run(context -> {
            transactions(context).executeWithoutResult(status -> { });
            TestObservationRegistryAssert.assertThat(registry(context))
                    .hasObservationWithNameEqualTo("shop.db").that()
                    .hasLowCardinalityKeyValue("store", "default");
        });
    }

    @Test
    void bootsOwnObservationRegistryTurnsTheObservationsOn() {
        runner.withConfiguration(AutoConfigurations.of(ObservationAutoConfiguration.class)).run(context -> {
            assertThat(context).hasSingleBean(ObservationRegistry.class)
                    .getBean(TransactionObserver.class).isInstanceOf(ObservationTransactionObserver.class);
        });
    }

    @Test
    void withoutARegistryNothingIsObservedAndTransactionsRunAsBefore() {
        runner.run(context -> {
            assertThat(context).doesNotHaveBean(TransactionObserver.class);
            transactions(context).executeWithoutResult(status -> context.getBean(Database.class)
                    .currentTransaction().setRootObject("n", 1));
            Object n = context.getBean(ProtoBaseOperations.class).execute(false, tx -> tx.getRootObject("n"));
            assertThat(n).isEqualTo(1);
        });
    }

    @Test
    void withoutMicrometerObservationOnTheClasspathTransactionsRunAsBefore() {
        runner.withClassLoader(new FilteredClassLoader("io.micrometer.observation")).run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(TransactionObserver.class);
            transactions(context).executeWithoutResult(status -> context.getBean(Database.class)
                    .currentTransaction().setRootObject("n", 1));
            Object n = context.getBean(Database.class).read(tx -> tx.getRootObject("n"));
            assertThat(n).isEqualTo(1);
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class Registry {

        @Bean
        TestObservationRegistry observationRegistry() {
            return TestObservationRegistry.create();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnConvention {

        @Bean
        ProtoBaseTransactionObservationConvention convention() {
            return new ProtoBaseTransactionObservationConvention() {
                @Override
                public String getName() {
                    return "shop.db";
                }

                @Override
                public KeyValues getLowCardinalityKeyValues(ProtoBaseTransactionContext context) {
                    return KeyValues.of("store", context.getDatabase());
                }
            };
        }
    }
}
