package io.protobase.spring.autoconfigure.data;

import io.protobase.Database;
import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.Transaction;
import io.protobase.TransactionStateException;
import io.protobase.query.Explanation;
import io.protobase.spring.data.core.ProtoBaseExceptionTranslator;
import io.protobase.spring.data.core.ProtoBaseIdentifierGenerator;
import io.protobase.spring.data.core.ProtoBaseOperations;
import io.protobase.spring.data.core.ProtoBaseTemplate;
import io.protobase.spring.data.core.SequenceIdentifierGenerator;
import io.protobase.spring.data.core.query.ProtoBaseQuery;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.data.repository.ProtoBaseRepository;
import io.protobase.spring.data.repository.config.EnableProtoBaseRepositories;
import io.protobase.spring.data.sample.Customer;
import io.protobase.spring.data.sample.CustomerRepository;
import io.protobase.spring.data.sample.PurchaseOrder;
import io.protobase.spring.data.sample.PurchaseOrderRepository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.data.AbstractRepositoryConfigurationSourceSupport;
import org.springframework.boot.persistence.autoconfigure.PersistenceExceptionTranslationAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.dao.InvalidDataAccessApiUsageException;
import org.springframework.dao.annotation.PersistenceExceptionTranslationPostProcessor;
import org.springframework.stereotype.Repository;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Repositories come with the starter, switch off by property, and back off for the application's own setup. */
class ProtoBaseRepositoriesAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class,
                    TransactionAutoConfiguration.class, ProtoBaseRepositoriesAutoConfiguration.class))
            .withPropertyValues("protobase.storage.type=memory");

    @Test
    void repositoriesOfTheApplicationPackagesAreBeans() {
        runner.withUserConfiguration(SamplePackage.class).run(c -> {
            assertThat(c).hasSingleBean(ProtoBaseTemplate.class).hasSingleBean(ProtoBaseMappingContext.class)
                    .hasSingleBean(CustomerRepository.class).hasSingleBean(PurchaseOrderRepository.class);
            CustomerRepository customers = c.getBean(CustomerRepository.class);
            customers.save(new Customer("c1", "Ann", Customer.Tier.GOLD));
            assertThat(customers.findByTier(Customer.Tier.GOLD)).extracting(Customer::id).containsExactly("c1");
        });
    }

    @Test
    void repositoriesAreRegisteredByBootsRepositoryRegistrarSupportAsForBootsOwnStores() {
        assertThat(AbstractRepositoryConfigurationSourceSupport.class)
                .isAssignableFrom(ProtoBaseRepositoriesRegistrar.class);
    }

    @Test
    void withoutAnAutoConfigurationPackageTheContextStartsWithTheTemplateAndNoRepository() {
        runner.run(c -> assertThat(c).hasNotFailed().hasSingleBean(ProtoBaseTemplate.class)
                .doesNotHaveBean(CustomerRepository.class));
    }

    @Test
    void aPropertySwitchesRepositoriesOff() {
        runner.withUserConfiguration(SamplePackage.class).withPropertyValues("protobase.repositories.enabled=false")
                .run(c -> assertThat(c).doesNotHaveBean(CustomerRepository.class)
                        .doesNotHaveBean(ProtoBaseTemplate.class).hasSingleBean(Database.class));
    }

    @Test
    void backsOffWithoutSpringDataOnTheClasspath() {
        runner.withUserConfiguration(SamplePackage.class)
                .withClassLoader(new FilteredClassLoader(ProtoBaseRepository.class))
                .run(c -> assertThat(c).doesNotHaveBean(ProtoBaseTemplate.class).hasSingleBean(Database.class));
    }

    @Test
    void backsOffForTheApplicationsOwnEnableAnnotationAndTemplate() {
        runner.withUserConfiguration(OwnSetup.class).run(c -> {
            assertThat(c).hasSingleBean(CustomerRepository.class).hasSingleBean(ProtoBaseTemplate.class);
            assertThat(c.getBean(ProtoBaseTemplate.class)).isSameAs(c.getBean(OwnSetup.class).template);
        });
    }

    @Test
    void theTemplateUsesTheDefaultIdGeneratorAndExceptionTranslatorBeans() {
        runner.withUserConfiguration(SamplePackage.class).run(c -> {
            assertThat(c).hasSingleBean(SequenceIdentifierGenerator.class)
                    .hasSingleBean(ProtoBaseExceptionTranslator.class);
            assertThat(c).getBean("protoBaseIdentifierGenerator").isInstanceOf(SequenceIdentifierGenerator.class);
            assertThat(c).getBean("protoBaseExceptionTranslator").isInstanceOf(ProtoBaseExceptionTranslator.class);
        });
    }

    @Test
    void anIdGeneratorOfTheApplicationMakesUpTheRepositoriesIds() {
        runner.withUserConfiguration(SamplePackage.class, OwnIdGenerator.class).run(c -> {
            assertThat(c).doesNotHaveBean(SequenceIdentifierGenerator.class);
            CustomerRepository customers = c.getBean(CustomerRepository.class);
            assertThat(customers.save(new Customer(null, "Ann", Customer.Tier.GOLD)).id()).isEqualTo("customer-1");
            assertThat(customers.save(new Customer(null, "Bob", Customer.Tier.GOLD)).id()).isEqualTo("customer-2");
        });
    }

    @Test
    void theEnableAnnotationsTemplateTakesTheApplicationsIdGeneratorAndTranslator() {
        runner.withUserConfiguration(EnabledWithoutTemplate.class, OwnIdGenerator.class).run(c -> {
            assertThat(c).hasSingleBean(ProtoBaseTemplate.class);
            CustomerRepository customers = c.getBean(CustomerRepository.class);
            assertThat(customers.save(new Customer(null, "Ann", Customer.Tier.GOLD)).id()).isEqualTo("customer-1");
        });
    }

    @Test
    void springsTranslationPostProcessorTurnsEngineExceptionsOfRepositoryBeansIntoDataAccessExceptions() {
        runner.withUserConfiguration(SamplePackage.class, TranslatedDao.class).run(c -> {
            TranslatedDao.Dao dao = c.getBean(TranslatedDao.Dao.class);
            assertThatThrownBy(dao::currentTransaction).isInstanceOf(InvalidDataAccessApiUsageException.class)
                    .hasCauseInstanceOf(TransactionStateException.class)
                    .hasMessageContaining("@Transactional");
        });
    }

    @Test
    void withBootsPersistenceAutoConfigurationRepositoryClassesAreTranslatedWithoutDeclaringThePostProcessor() {
        runner.withConfiguration(AutoConfigurations.of(PersistenceExceptionTranslationAutoConfiguration.class))
                .withUserConfiguration(SamplePackage.class, UntranslatedDao.class).run(c -> {
                    UntranslatedDao.Dao dao = c.getBean(UntranslatedDao.Dao.class);
                    assertThatThrownBy(dao::currentTransaction)
                            .isInstanceOf(InvalidDataAccessApiUsageException.class)
                            .hasCauseInstanceOf(TransactionStateException.class);
                });
    }

    @Test
    void repositoriesRunOnAnyProtoBaseOperationsOfTheApplication() {
        runner.withUserConfiguration(SamplePackage.class, OwnOperations.class).run(c -> {
            assertThat(c).doesNotHaveBean(ProtoBaseTemplate.class).hasSingleBean(ProtoBaseOperations.class);
            CustomerRepository customers = c.getBean(CustomerRepository.class);
            customers.save(new Customer("c1", "Ann", Customer.Tier.GOLD));
            assertThat(customers.findById("c1")).map(Customer::name).contains("Ann");
            assertThat(c.getBean(CountingOperations.class).saves).hasValue(1);
        });
    }

    @Test
    void dataSurvivesARestartOnFileStorage(@TempDir Path dir) {
        ApplicationContextRunner onFile = runner.withUserConfiguration(SamplePackage.class).withPropertyValues(
                "protobase.storage.type=file", "protobase.storage.file.path=" + dir);
        onFile.run(c -> {
            Customer ann = c.getBean(CustomerRepository.class).save(new Customer("c1", "Ann", Customer.Tier.SILVER));
            PurchaseOrder saved = c.getBean(PurchaseOrderRepository.class).save(new PurchaseOrder(null, ann,
                    Map.of("apple", 2), Set.of("gift"), null, null, null, null, null, Customer.Tier.SILVER));
            assertThat(saved.id()).isEqualTo(1);
        });
        onFile.run(c -> {
            PurchaseOrderRepository orders = c.getBean(PurchaseOrderRepository.class);
            PurchaseOrder loaded = orders.findById(1).orElseThrow();
            assertThat(loaded.customer().name()).isEqualTo("Ann");
            assertThat(loaded.quantities()).containsEntry("apple", 2);
            assertThat(loaded.tierAtOrder()).isEqualTo(Customer.Tier.SILVER);
            assertThat(orders.findByCustomerId("c1")).hasSize(1);
            PurchaseOrder next = orders.save(new PurchaseOrder(null, loaded.customer(), null, null, null, null, null,
                    null, null, null));
            assertThat(next.id()).isEqualTo(2);
        });
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = Customer.class)
    static class SamplePackage {
    }

    @Configuration(proxyBeanMethods = false)
    @EnableProtoBaseRepositories(basePackageClasses = Customer.class)
    static class OwnSetup {

        ProtoBaseTemplate template;

        @Bean
        ProtoBaseTemplate protoBaseTemplate(Database database) {
            template = new ProtoBaseTemplate(database, new ProtoBaseMappingContext());
            return template;
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableProtoBaseRepositories(basePackageClasses = Customer.class)
    static class EnabledWithoutTemplate {

        @Bean
        ProtoBaseExceptionTranslator protoBaseExceptionTranslator() {
            return new ProtoBaseExceptionTranslator();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnIdGenerator {

        @Bean
        ProtoBaseIdentifierGenerator prefixedIds() {
            return (entity, sequence) -> {
                sequence.advance(sequence.last() + 1);
                return entity.getType().getSimpleName().toLowerCase() + "-" + sequence.last();
            };
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TranslatedDao {

        @Bean
        static PersistenceExceptionTranslationPostProcessor persistenceExceptionTranslationPostProcessor() {
            return new PersistenceExceptionTranslationPostProcessor();
        }

        /** Registered as a member component of this configuration, and proxied for its {@code @Repository}. */
        @Repository
        static class Dao {
            private final Database database;

            Dao(Database database) {
                this.database = database;
            }

            public Transaction currentTransaction() {
                return database.currentTransaction();
            }
        }
    }

    /** A {@code @Repository} class of the application, with no exception translation set up of its own. */
    @Configuration(proxyBeanMethods = false)
    static class UntranslatedDao {

        @Repository
        static class Dao {
            private final Database database;

            Dao(Database database) {
                this.database = database;
            }

            public Transaction currentTransaction() {
                return database.currentTransaction();
            }
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnOperations {

        @Bean
        CountingOperations protoBaseTemplate(Database database) {
            return new CountingOperations(new ProtoBaseTemplate(database, new ProtoBaseMappingContext()));
        }
    }

    /** An application's own operations: counts the saves, and leaves the rest to a template. */
    static class CountingOperations implements ProtoBaseOperations {

        final AtomicInteger saves = new AtomicInteger();
        private final ProtoBaseOperations delegate;

        CountingOperations(ProtoBaseOperations delegate) {
            this.delegate = delegate;
        }

        @Override
        public <T> T save(T entity) {
            saves.incrementAndGet();
            return delegate.save(entity);
        }

        @Override
        public <T> List<T> saveAll(Iterable<T> entities) {
            entities.forEach(e -> saves.incrementAndGet());
            return delegate.saveAll(entities);
        }

        @Override
        public <T> Optional<T> findById(Object id, Class<T> type) {
            return delegate.findById(id, type);
        }

        @Override
        public <T> List<T> find(ProtoBaseQuery query, Class<T> type) {
            return delegate.find(query, type);
        }

        @Override
        public <R> List<R> find(ProtoBaseQuery query, Class<?> domainType, Class<R> resultType) {
            return delegate.find(query, domainType, resultType);
        }

        @Override
        public <R> Stream<R> stream(ProtoBaseQuery query, Class<?> domainType, Class<R> resultType) {
            return delegate.stream(query, domainType, resultType);
        }

        @Override
        public long count(ProtoBaseQuery query, Class<?> type) {
            return delegate.count(query, type);
        }

        @Override
        public boolean exists(ProtoBaseQuery query, Class<?> type) {
            return delegate.exists(query, type);
        }

        @Override
        public boolean deleteById(Object id, Class<?> type) {
            return delegate.deleteById(id, type);
        }

        @Override
        public void delete(Object entity) {
            delegate.delete(entity);
        }

        @Override
        public <T> List<T> delete(ProtoBaseQuery query, Class<T> type) {
            return delegate.delete(query, type);
        }

        @Override
        public void deleteAll(Class<?> type) {
            delegate.deleteAll(type);
        }

        @Override
        public Explanation explain(ProtoBaseQuery query, Class<?> type) {
            return delegate.explain(query, type);
        }

        @Override
        public <R> R execute(boolean write, Function<Transaction, R> work) {
            return delegate.execute(write, work);
        }

        @Override
        public void prepare(Class<?> type) {
            delegate.prepare(type);
        }

        @Override
        public ProtoBaseMappingContext getMappingContext() {
            return delegate.getMappingContext();
        }
    }
}
