package io.protobase.sample;

import io.protobase.collection.DbObject;

import java.math.BigDecimal;
import java.util.List;

/** A catalogue item, as the REST API shows it and as stored (a {@link DbObject}). */
public record Item(String id, String name, String category, BigDecimal price, List<String> tags) {

    public Item {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }

    /** The same item with another id. */
    Item withId(String newId) {
        return new Item(newId, name, category, price, tags);
    }

    DbObject toDbObject() {
        return DbObject.of("id", id, "name", name, "category", category, "price", price, "tags", tags);
    }

    @SuppressWarnings("unchecked")
    static Item from(DbObject o) {
        return new Item(o.getAt("id", String.class), o.getAt("name", String.class), o.getAt("category", String.class),
                o.getAt("price", BigDecimal.class), (List<String>) o.getAt("tags"));
    }
}
