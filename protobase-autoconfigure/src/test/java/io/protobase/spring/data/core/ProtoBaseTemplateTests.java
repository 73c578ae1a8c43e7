package io.protobase.spring.data.core;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.StorageException;
import io.protobase.TransactionStateException;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.index.IndexDefinition;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.data.core.query.ProtoBaseQuery;
import io.protobase.spring.data.repository.Person;
import io.protobase.spring.data.repository.PersonRepository;
import io.protobase.spring.data.repository.support.ProtoBaseRepositoryFactory;
import io.protobase.spring.data.sample.Account;
import io.protobase.spring.data.sample.AccountRepository;
import io.protobase.spring.data.sample.Customer;
import io.protobase.spring.data.sample.CustomerRepository;
import io.protobase.spring.data.sample.PurchaseOrder;
import io.protobase.spring.data.sample.PurchaseOrderRepository;
import io.protobase.spring.data.sample.Ticket;
import io.protobase.spring.data.sample.TicketRepository;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.InvalidDataAccessApiUsageException;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.data.mapping.MappingException;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Mapping, ids, versions and references, through repositories created without Spring. */
class ProtoBaseTemplateTests {

    private final ObjectSpace space = new ObjectSpace(new MemoryStorage());
    private final Database db = space.getDatabase("test");
    private final ProtoBaseTemplate template = new ProtoBaseTemplate(db, new ProtoBaseMappingContext());
    private final ProtoBaseRepositoryFactory factory = new ProtoBaseRepositoryFactory(template);

    @AfterEach
    void close() {
        space.close();
    }

    @Test
    void anIndexWhoseCoveringFlagChangedIsRebuiltAsTheAnnotationDeclaresIt() {
        String root = new ProtoBaseMappingContext().getRequiredPersistentEntity(Person.class).getRootName();
        // stored by an earlier version of the application, whose @Indexed city was not covering
        db.write(tx -> {
            tx.setRootObject(root, Dictionary.empty().withIndex(IndexDefinition.onField("city")));
            return null;
        });

        PersonRepository people = factory.getRepository(PersonRepository.class);
        people.save(new Person("p1", "Ann", "Lee", "Berlin", 30, true, List.of(), null, null));

        Dictionary stored = db.read(tx -> tx.getRootObject(root, Dictionary.class));
        assertThat(stored.indexes().get("city").definition().isCovering()).isTrue();
        assertThat(stored.indexes().get("age").definition().isCovering()).isFalse();
        assertThat(people.findByCity("Berlin")).extracting(Person::id).containsExactly("p1");
    }

    @Test
    void repositoryCallsAfterTheSpaceClosedFailWithADataAccessResourceFailureKeepingTheEnginesReason() {
        CustomerRepository customers = factory.getRepository(CustomerRepository.class);
        customers.save(new Customer("c1", "Ann", Customer.Tier.GOLD));
        space.close();

        assertThatThrownBy(() -> customers.findById("c1")).isInstanceOf(DataAccessResourceFailureException.class)
                .hasCauseInstanceOf(StorageException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> customers.save(new Customer("c2", "Bob", Customer.Tier.GOLD)))
                .isInstanceOf(DataAccessResourceFailureException.class).hasCauseInstanceOf(StorageException.class);
    }

    @Test
    void savingThroughARepositoryInsideAReadOnlyTransactionIsReportedAsAnApiMisuse() {
        CustomerRepository customers = factory.getRepository(CustomerRepository.class);
        customers.save(new Customer("c1", "Ann", Customer.Tier.GOLD));

        assertThatThrownBy(() -> db.read(tx -> {
            db.bind(tx);
            try {
                return customers.save(new Customer("c2", "Bob", Customer.Tier.GOLD));
            } finally {
                db.unbind();
            }
        })).isInstanceOf(InvalidDataAccessApiUsageException.class).hasCauseInstanceOf(TransactionStateException.class);
        assertThat(customers.findById("c2")).isEmpty();
    }

    @Test
    void plainClassesGetSequenceIdsAndVersions() {
        AccountRepository accounts = factory.getRepository(AccountRepository.class);
        Account a = accounts.save(new Account("ann", 10));
        Account b = accounts.save(new Account("bob", 20));
        assertThat(a.getId()).isEqualTo(1L);
        assertThat(b.getId()).isEqualTo(2L);
        assertThat(a.getVersion()).isZero();

        Account loaded = accounts.findById(1L).orElseThrow();
        loaded.setBalance(15);
        Account saved = accounts.save(loaded);
        assertThat(saved.getVersion()).isEqualTo(1L);
        assertThat(accounts.findById(1L).orElseThrow().getBalance()).isEqualTo(15);
    }

    @Test
    void staleVersionsFailWithOptimisticLockingFailure() {
        AccountRepository accounts = factory.getRepository(AccountRepository.class);
        Account a = accounts.save(new Account("ann", 10));
        Account first = accounts.findById(a.getId()).orElseThrow();
        Account second = accounts.findById(a.getId()).orElseThrow();
        first.setBalance(11);
        accounts.save(first);
        second.setBalance(12);
        assertThatThrownBy(() -> accounts.save(second)).isInstanceOf(OptimisticLockingFailureException.class)
                .hasMessageContaining("changed concurrently");
        assertThatThrownBy(() -> accounts.delete(second)).isInstanceOf(OptimisticLockingFailureException.class);
        Account duplicate = new Account("ann", 1);
        duplicate.setId(a.getId());
        assertThatThrownBy(() -> accounts.save(duplicate)).isInstanceOf(OptimisticLockingFailureException.class)
                .hasMessageContaining("already stored");
        accounts.delete(accounts.findById(a.getId()).orElseThrow());
        assertThat(accounts.count()).isZero();
        assertThatThrownBy(() -> accounts.save(first)).isInstanceOf(OptimisticLockingFailureException.class)
                .hasMessageContaining("deleted");
    }

    @Test
    void recordsGetUuidIdsAndPrimitiveVersionsThroughTheirConstructor() {
        TicketRepository tickets = factory.getRepository(TicketRepository.class);
        Ticket t = tickets.save(new Ticket(null, "broken", 0));
        assertThat(t.id()).isNotNull();
        assertThat(t.version()).isEqualTo(1);
        Ticket renamed = tickets.save(new Ticket(t.id(), "fixed", t.version()));
        assertThat(renamed.version()).isEqualTo(2);
        assertThat(tickets.findById(t.id())).contains(renamed);
        assertThatThrownBy(() -> tickets.save(new Ticket(t.id(), "stale", 1)))
                .isInstanceOf(OptimisticLockingFailureException.class);
    }

    @Test
    void referencesNestedValuesCollectionsAndCodecTypesRoundTrip() {
        CustomerRepository customers = factory.getRepository(CustomerRepository.class);
        PurchaseOrderRepository orders = factory.getRepository(PurchaseOrderRepository.class);
        Customer ann = customers.save(new Customer("c1", "Ann", Customer.Tier.GOLD));
        customers.save(new Customer("c2", "Bob", Customer.Tier.BRONZE));
        PurchaseOrder order = orders.save(new PurchaseOrder(null, ann, Map.of("apple", 3, "pear", 1),
                new LinkedHashSet<>(List.of("gift", "express")),
                List.of(new PurchaseOrder.Line("apple", 3, new BigDecimal("0.50"))),
                Instant.parse("2026-01-02T03:04:05Z"),
                new BigDecimal("1.50"), LocalDate.of(2026, 2, 1), new byte[] { 1, 2 }, Customer.Tier.GOLD));
        assertThat(order.id()).isEqualTo(1);

        PurchaseOrder loaded = orders.findById(1).orElseThrow();
        assertThat(loaded.customer()).isEqualTo(ann);
        assertThat(loaded.quantities()).isEqualTo(Map.of("apple", 3, "pear", 1));
        assertThat(loaded.labels()).isInstanceOf(Set.class).containsExactlyInAnyOrder("gift", "express");
        assertThat(loaded.lines()).containsExactly(new PurchaseOrder.Line("apple", 3, new BigDecimal("0.50")));
        assertThat(loaded.placed()).isEqualTo(order.placed());
        assertThat(loaded.total()).isEqualTo(order.total());
        assertThat(loaded.due()).isEqualTo(order.due());
        assertThat(loaded.signature()).containsExactly(1, 2);
        assertThat(loaded.tierAtOrder()).isEqualTo(Customer.Tier.GOLD);

        // the reference is stored as the id, and a renamed customer is seen through it
        DbObject stored = db.read(tx -> tx.getRootObject("PurchaseOrder", Dictionary.class).getAt(1, DbObject.class));
        assertThat(stored.getAt("customer")).isEqualTo("c1");
        assertThat(stored.names()).doesNotContain("_class", "class");
        customers.save(new Customer("c1", "Ann B.", Customer.Tier.GOLD));
        assertThat(orders.findById(1).orElseThrow().customer().name()).isEqualTo("Ann B.");

        assertThat(orders.findByCustomerId("c1")).extracting(PurchaseOrder::id).containsExactly(1);
        assertThat(orders.findByCustomer(ann)).extracting(PurchaseOrder::id).containsExactly(1);
        assertThat(orders.findByCustomerId("c2")).isEmpty();
        assertThat(customers.findByTier(Customer.Tier.GOLD)).extracting(Customer::id).containsExactly("c1");
    }

    @Test
    void indexesAreCreatedWithTheRootAndAddedWhenMissing() {
        db.write(tx -> {
            tx.setRootObject("PurchaseOrder", Dictionary.empty().setAt(7, DbObject.of("id", 7, "customer", "c9")));
            return null;
        });
        PurchaseOrderRepository orders = factory.getRepository(PurchaseOrderRepository.class);
        Dictionary root = db.read(tx -> tx.getRootObject("PurchaseOrder", Dictionary.class));
        assertThat(root.indexes()).containsKey("customer");
        assertThat(orders.findByCustomerId("c9")).extracting(PurchaseOrder::id).containsExactly(7);
    }

    @Test
    void operationsImplementedWithoutStreamStreamWhatFindReads() {
        // An implementation written before stream existed: it forwards the other methods to the template.
        InvocationHandler withoutStream = (proxy, method, args) -> {
            if (method.isDefault()) {
                return InvocationHandler.invokeDefault(proxy, method, args);
            }
            if (method.getName().equals("stream")) {
                throw new AbstractMethodError("stream is not implemented");
            }
            return method.invoke(template, args);
        };
        ProtoBaseOperations operations = (ProtoBaseOperations) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { ProtoBaseOperations.class }, withoutStream);
        template.saveAll(List.of(new Customer("c1", "Ann", Customer.Tier.GOLD),
                new Customer("c2", "Bo", Customer.Tier.SILVER)));

        try (Stream<Customer> customers = operations.stream(ProtoBaseQuery.all(), Customer.class, Customer.class)) {
            assertThat(customers.map(Customer::name)).containsExactlyInAnyOrder("Ann", "Bo");
        }
    }

    @Test
    void entitiesWithoutIdAreRejected() {
        assertThatThrownBy(() -> template.prepare(NoId.class)).isInstanceOf(MappingException.class)
                .hasMessageContaining("no identifier");
    }

    record NoId(String name) {
    }
}
