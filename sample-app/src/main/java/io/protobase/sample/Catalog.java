package io.protobase.sample;

import io.protobase.Database;
import io.protobase.Transaction;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.collection.RepeatedKeysDictionary;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The catalogue, on the injected {@link Database}. Each public method is one ProtoBase transaction
 * ({@code @Transactional}), reached through {@link Database#currentTransaction()}.
 *
 * <p>Two roots: {@code items} (a {@link Dictionary} id → item) and {@code itemsByCategory} (a
 * {@link RepeatedKeysDictionary} category → item ids), a secondary index kept up to date by every
 * change, so listing a category reads only that category's items.
 */
@Service
public class Catalog {

    static final String ITEMS = "items";
    static final String BY_CATEGORY = "itemsByCategory";

    private final Database database;

    public Catalog(Database database) {
        this.database = database;
    }

    private Transaction tx() {
        return database.currentTransaction();
    }

    private Dictionary items() {
        Dictionary d = tx().getRootObject(ITEMS, Dictionary.class);
        return d == null ? Dictionary.empty() : d;
    }

    private RepeatedKeysDictionary byCategory() {
        RepeatedKeysDictionary d = tx().getRootObject(BY_CATEGORY, RepeatedKeysDictionary.class);
        return d == null ? RepeatedKeysDictionary.empty() : d;
    }

    @Transactional
    public Item create(Item item) {
        Item stored = item.withId(UUID.randomUUID().toString());
        tx().setRootObject(ITEMS, items().setAt(stored.id(), stored.toDbObject()));
        tx().setRootObject(BY_CATEGORY, byCategory().setAt(stored.category(), stored.id()));
        return stored;
    }

    @Transactional(readOnly = true)
    public Optional<Item> get(String id) {
        DbObject o = items().getAt(id, DbObject.class);
        return Optional.ofNullable(o).map(Item::from);
    }

    @Transactional(readOnly = true)
    public List<Item> list() {
        return items().values().map(o -> Item.from((DbObject) o)).toList();
    }

    /** Items of one category, through the category index. */
    @Transactional(readOnly = true)
    public List<Item> byCategory(String category) {
        Dictionary items = items();
        return byCategory().valuesOf(category).map(id -> Item.from(items.getAt(id, DbObject.class))).toList();
    }

    @Transactional(readOnly = true)
    public List<Item> byPriceRange(BigDecimal min, BigDecimal max) {
        return list().stream().filter(i -> i.price().compareTo(min) >= 0 && i.price().compareTo(max) <= 0)
                .sorted((a, b) -> a.price().compareTo(b.price())).toList();
    }

    /** Count, min, max and average price per category. */
    @Transactional(readOnly = true)
    public List<CategoryStatistics> statistics() {
        Map<String, List<Item>> groups = list().stream()
                .collect(Collectors.groupingBy(Item::category, TreeMap::new, Collectors.toList()));
        List<CategoryStatistics> result = new ArrayList<>();
        groups.forEach((category, items) -> {
            BigDecimal sum = items.stream().map(Item::price).reduce(BigDecimal.ZERO, BigDecimal::add);
            result.add(new CategoryStatistics(category, items.size(),
                    items.stream().map(Item::price).min(BigDecimal::compareTo).orElseThrow(),
                    items.stream().map(Item::price).max(BigDecimal::compareTo).orElseThrow(),
                    sum.divide(BigDecimal.valueOf(items.size()), 2, RoundingMode.HALF_EVEN)));
        });
        return result;
    }

    @Transactional
    public Optional<Item> update(String id, Item changes) {
        DbObject old = items().getAt(id, DbObject.class);
        if (old == null) {
            return Optional.empty();
        }
        Item previous = Item.from(old);
        Item updated = changes.withId(id);
        tx().setRootObject(ITEMS, items().setAt(id, updated.toDbObject()));
        if (!previous.category().equals(updated.category())) {
            tx().setRootObject(BY_CATEGORY,
                    byCategory().removeRecordAt(previous.category(), id).setAt(updated.category(), id));
        }
        return Optional.of(updated);
    }

    @Transactional
    public boolean delete(String id) {
        DbObject old = items().getAt(id, DbObject.class);
        if (old == null) {
            return false;
        }
        tx().setRootObject(ITEMS, items().removeAt(id));
        tx().setRootObject(BY_CATEGORY, byCategory().removeRecordAt(Item.from(old).category(), id));
        return true;
    }
}
