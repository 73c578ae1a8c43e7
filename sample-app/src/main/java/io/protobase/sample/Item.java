package io.protobase.sample;

import io.protobase.spring.data.annotation.Indexed;
import io.protobase.spring.data.annotation.Root;
import org.springframework.data.annotation.Id;

import java.math.BigDecimal;
import java.util.List;

/**
 * A catalogue item, as the REST API shows it and as stored: an entity of {@link ItemRepository}, in
 * the root {@code items} keyed by id, with secondary indexes on category and price.
 */
@Root("items")
public record Item(@Id String id, String name, @Indexed String category, @Indexed BigDecimal price, List<String> tags) {

    public Item {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }

    /** The same item with another id. */
    Item withId(String newId) {
        return new Item(newId, name, category, price, tags);
    }
}
