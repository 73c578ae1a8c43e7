package io.protobase.sample;

import io.protobase.spring.data.annotation.Indexed;
import io.protobase.spring.data.annotation.Root;
import org.springframework.data.annotation.Id;

import java.math.BigDecimal;
import java.util.List;

/**
 * A catalogue item as stored and as the REST API shows it: an entity of {@link ItemRepository}, in
 * the root {@code items} keyed by id, with secondary indexes on category and price.
 *
 * <p>Clients never send this type; they send an {@link ItemRequest} or {@link ItemChanges}, which
 * are validated. The entity itself stays lenient, because a database outlives the rules of the
 * version that wrote it: an earlier version of this sample stored items without a name or category
 * and with any price, and reading them must still work.
 */
@Root("items")
public record Item(@Id String id, String name, @Indexed String category, @Indexed BigDecimal price, List<String> tags) {

    public Item {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }
}
