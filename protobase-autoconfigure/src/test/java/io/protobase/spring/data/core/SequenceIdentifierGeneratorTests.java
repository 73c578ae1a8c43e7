package io.protobase.spring.data.core;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.Dictionary;
import io.protobase.spring.data.core.mapping.ProtoBaseMappingContext;
import io.protobase.spring.data.core.query.ProtoBaseQuery;
import io.protobase.spring.data.sample.Account;
import io.protobase.spring.data.sample.Customer;
import io.protobase.spring.data.sample.PurchaseOrder;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.InvalidDataAccessApiUsageException;
import org.springframework.data.annotation.Id;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Ids made up for entities saved without one: the default strategy, and one of the application's. */
class SequenceIdentifierGeneratorTests {

    private final ObjectSpace space = new ObjectSpace(new MemoryStorage());
    private final Database db = space.getDatabase("test");
    private final ProtoBaseMappingContext mappingContext = new ProtoBaseMappingContext();
    private final ProtoBaseTemplate template = new ProtoBaseTemplate(db, mappingContext);

    @AfterEach
    void close() {
        space.close();
    }

    @Test
    void numericIdsCountUpPerTypeAndStepOverIdsAssignedByHand() {
        Account byHand = new Account("carl", 5);
        byHand.setId(2L);
        template.save(byHand);

        List<Account> saved = template.saveAll(List.of(new Account("ann", 10), new Account("bob", 20)));

        assertThat(saved).extracting(Account::getId).containsExactly(1L, 3L);
        assertThat(template.save(new PurchaseOrder(null, null, null, null, null, null, null, null, null, null)).id())
                .as("another type has a counter of its own").isEqualTo(1);
    }

    @Test
    void theCounterIsStoredSoNumbersOfDeletedEntitiesAreNotHandedOutAgain() {
        Account first = template.save(new Account("ann", 10));
        template.delete(first);

        assertThat(template.save(new Account("bob", 20)).getId()).isEqualTo(2L);
        String root = mappingContext.getRequiredPersistentEntity(Account.class).getRootName();
        Object counter = db.read(tx -> tx.getRootObject(ProtoBaseTemplate.SEQUENCES, Dictionary.class).getAt(root));
        assertThat(counter).isEqualTo(2L);
    }

    @Test
    void stringIdsAreRandomUuids() {
        Customer ann = template.save(new Customer(null, "Ann", Customer.Tier.GOLD));
        Customer bob = template.save(new Customer(null, "Bob", Customer.Tier.GOLD));

        assertThat(UUID.fromString(ann.id())).isNotEqualTo(UUID.fromString(bob.id()));
        assertThat(template.findById(ann.id(), Customer.class)).contains(ann);
    }

    @Test
    void idsOfOtherTypesAreRefusedWithWhatToDoInstead() {
        assertThatThrownBy(() -> template.save(new Measurement(null, "cold")))
                .isInstanceOf(InvalidDataAccessApiUsageException.class)
                .hasMessageContaining("java.lang.Double").hasMessageContaining(Measurement.class.getName())
                .hasMessageContaining("assign one before saving").hasMessageContaining("ProtoBaseIdentifierGenerator");
        assertThat(template.count(ProtoBaseQuery.all(), Measurement.class)).isZero();
    }

    @Test
    void aGeneratorOfTheApplicationReplacesTheDefaultAndKeepsItsCounterWithTheEntities() {
        ProtoBaseIdentifierGenerator prefixed = (entity, sequence) -> {
            long next = sequence.last() + 1;
            sequence.advance(next);
            return entity.getType().getSimpleName().toLowerCase() + "-" + next;
        };
        ProtoBaseTemplate custom = new ProtoBaseTemplate(db, mappingContext, prefixed,
                new ProtoBaseExceptionTranslator());

        List<Customer> saved = custom.saveAll(List.of(new Customer(null, "Ann", Customer.Tier.GOLD),
                new Customer(null, "Bob", Customer.Tier.BRONZE)));

        assertThat(saved).extracting(Customer::id).containsExactly("customer-1", "customer-2");
        assertThat(custom.save(new Customer(null, "Cid", Customer.Tier.GOLD)).id()).isEqualTo("customer-3");
    }

    record Measurement(@Id Double id, String label) {
    }
}
