package io.protobase.sample;

import java.math.BigDecimal;
import java.util.List;

/**
 * The body of {@code PATCH /items/{id}}: the fields to change. A field that is absent or null keeps
 * its stored value; {@code "tags": []} removes all tags. Its fields carry no constraints of their
 * own: {@link Catalog#update} checks the item that results, against {@link ItemRequest}'s rules.
 */
public record ItemChanges(String name, String category, BigDecimal price, List<String> tags) {

    /** {@code stored} with these changes, as a request that replaces it whole. */
    ItemRequest applyTo(Item stored) {
        return new ItemRequest(name != null ? name : stored.name(),
                category != null ? category : stored.category(),
                price != null ? price : stored.price(),
                tags != null ? tags : stored.tags());
    }
}
