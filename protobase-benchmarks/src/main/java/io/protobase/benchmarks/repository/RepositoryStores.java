package io.protobase.benchmarks.repository;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.benchmarks.repository.jpa.JpaCustomerRepository;
import io.protobase.benchmarks.repository.protobase.ProtoBaseCustomerRepository;
import io.protobase.spring.data.repository.config.EnableProtoBaseRepositories;
import io.protobase.storage.memory.MemoryStorage;
import jakarta.persistence.EntityManagerFactory;
import org.h2.api.ErrorCode;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.jpa.repository.config.EnableJpaRepositories;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;
import org.springframework.orm.jpa.vendor.HibernateJpaVendorAdapter;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * The two stores of the repository benchmarks, each a small Spring context: ProtoBase repositories
 * on an in-memory object space, and Spring Data JPA (Hibernate) on an in-memory H2 database with
 * JDBC batching, a pooled sequence (1,000 ids per fetch) and an index on {@code city}. The H2 database lives
 * as long as the context's one connection: {@link #stop} drops it.
 */
public final class RepositoryStores {

    public static final int CITIES = 100;

    private RepositoryStores() {
    }

    /** A started context of {@code store} ({@code protobase} or {@code jpa}). */
    public static AnnotationConfigApplicationContext start(String store) {
        return new AnnotationConfigApplicationContext(switch (store) {
            case "protobase" -> ProtoBaseSetup.class;
            case "jpa" -> JpaSetup.class;
            default -> throw new IllegalArgumentException("unknown store " + store);
        });
    }

    /**
     * Closes a context made by {@link #start}. For {@code jpa}, closing the one connection drops the in-memory
     * H2 database with its rows; this fails if the database is still there, since a benchmark that starts a
     * context per iteration would otherwise keep every earlier iteration's rows on the heap it measures.
     */
    public static void stop(AnnotationConfigApplicationContext context) {
        String url = context.getBeansOfType(SingleConnectionDataSource.class).values().stream()
                .map(SingleConnectionDataSource::getUrl).findFirst().orElse(null);
        context.close();
        if (url == null) {
            return;
        }
        try (Connection stillThere = DriverManager.getConnection(url + ";IFEXISTS=TRUE")) {
            throw new IllegalStateException("The H2 database " + url + " outlived its context");
        } catch (SQLException expected) {
            if (expected.getErrorCode() != ErrorCode.DATABASE_NOT_FOUND_WITH_IF_EXISTS_1) {
                throw new IllegalStateException("Cannot check that the H2 database " + url + " was dropped", expected);
            }
        }
    }

    /** The repository of a context made by {@link #start}. */
    public static CustomerQueries repository(AnnotationConfigApplicationContext context) {
        return context.getBean(CustomerQueries.class);
    }

    /** {@code n} new customers; city and segment are independent, each with {@value #CITIES} values. */
    public static List<BenchCustomer> customers(int n, SplittableRandom random) {
        List<BenchCustomer> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(new BenchCustomer("customer" + random.nextInt(1_000_000), "city" + random.nextInt(CITIES),
                    "segment" + random.nextInt(CITIES), 18 + random.nextInt(60)));
        }
        return list;
    }

    /** Saves {@code total} customers in transactions of {@code batch}; returns their ids. */
    public static long[] load(CustomerQueries repository, int total, int batch, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] ids = new long[total];
        int n = 0;
        for (int done = 0; done < total; done += batch) {
            for (BenchCustomer c : repository.saveAll(customers(Math.min(batch, total - done), random))) {
                ids[n++] = c.getId();
            }
        }
        return ids;
    }

    @Configuration(proxyBeanMethods = false)
    @EnableProtoBaseRepositories(basePackageClasses = ProtoBaseCustomerRepository.class)
    static class ProtoBaseSetup {

        @Bean(destroyMethod = "close")
        ObjectSpace objectSpace() {
            return new ObjectSpace(new MemoryStorage());
        }

        @Bean
        Database database(ObjectSpace objectSpace) {
            return objectSpace.getDatabase("bench");
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableJpaRepositories(basePackageClasses = JpaCustomerRepository.class)
    static class JpaSetup {

        @Bean(destroyMethod = "destroy")
        SingleConnectionDataSource dataSource() {
            SingleConnectionDataSource ds = new SingleConnectionDataSource(
                    "jdbc:h2:mem:" + UUID.randomUUID(), true);
            ds.setAutoCommit(false);
            return ds;
        }

        @Bean
        LocalContainerEntityManagerFactoryBean entityManagerFactory(DataSource dataSource) {
            LocalContainerEntityManagerFactoryBean emf = new LocalContainerEntityManagerFactoryBean();
            emf.setDataSource(dataSource);
            emf.setPackagesToScan(BenchCustomer.class.getPackageName());
            emf.setJpaVendorAdapter(new HibernateJpaVendorAdapter());
            emf.setJpaPropertyMap(Map.of("hibernate.hbm2ddl.auto", "create", "hibernate.jdbc.batch_size", "1000",
                    "hibernate.order_inserts", "true", "hibernate.show_sql", "false"));
            return emf;
        }

        @Bean
        JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
            return new JpaTransactionManager(entityManagerFactory);
        }
    }
}
