package io.protobase.sample;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Validator;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The catalogue, on an {@link ItemRepository}. Each public method is one ProtoBase transaction
 * ({@code @Transactional}) that the repository calls join, so an update's read of the stored item
 * and its save commit together or not at all.
 *
 * <p>Items it stores satisfy {@link ItemRequest}'s constraints. Items it reads may not: a database
 * written by an earlier version of this sample can hold items without a name or category, or with
 * any price. Reads and {@link #statistics()} accept such items; an update must leave them valid.
 */
@Service
public class Catalog {

    private final ItemRepository items;

    private final Validator validator;

    public Catalog(ItemRepository items, Validator validator) {
        this.items = items;
        this.validator = validator;
    }

    /** Stores a new item under a fresh id. */
    @Transactional
    public Item create(ItemRequest request) {
        return items.save(request.toItem(null)); // the repository assigns a UUID
    }

    @Transactional(readOnly = true)
    public Optional<Item> get(String id) {
        return items.findById(id);
    }

    @Transactional(readOnly = true)
    public List<Item> list() {
        return items.findAll();
    }

    /** Items of one category, through the category index. */
    @Transactional(readOnly = true)
    public List<Item> byCategory(String category) {
        return items.findByCategory(category);
    }

    /** Items priced from {@code min} to {@code max}, cheapest first, through the price index. */
    @Transactional(readOnly = true)
    public List<Item> byPriceRange(BigDecimal min, BigDecimal max) {
        return items.findByPriceBetweenOrderByPriceAsc(min, max);
    }

    /** Count, min, max and average price per category. */
    @Transactional(readOnly = true)
    public List<CategoryStatistics> statistics() {
        Map<String, List<Item>> groups = list().stream()
                .collect(Collectors.groupingBy(Item::category, TreeMap::new, Collectors.toList()));
        List<CategoryStatistics> result = new ArrayList<>();
        groups.forEach((category, members) -> {
            BigDecimal sum = members.stream().map(Item::price).reduce(BigDecimal.ZERO, BigDecimal::add);
            result.add(new CategoryStatistics(category, members.size(),
                    members.stream().map(Item::price).min(BigDecimal::compareTo).orElseThrow(),
                    members.stream().map(Item::price).max(BigDecimal::compareTo).orElseThrow(),
                    sum.divide(BigDecimal.valueOf(members.size()), 2, RoundingMode.HALF_EVEN)));
        });
        return result;
    }

    /** Replaces the whole item {@code id}; empty if there is none. */
    @Transactional
    public Optional<Item> replace(String id, ItemRequest request) {
        if (!items.existsById(id)) {
            return Optional.empty();
        }
        return Optional.of(items.save(request.toItem(id)));
    }

    /**
     * Changes the fields of item {@code id} that {@code changes} names; empty if there is none.
     *
     * @throws ConstraintViolationException if the changed item breaks {@link ItemRequest}'s rules,
     *         because of a change or because the stored item already did (then the change must
     *         supply the missing fields)
     */
    @Transactional
    public Optional<Item> update(String id, ItemChanges changes) {
        Optional<Item> stored = items.findById(id);
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        ItemRequest changed = changes.applyTo(stored.get());
        Set<ConstraintViolation<ItemRequest>> violations = validator.validate(changed);
        if (!violations.isEmpty()) {
            throw new ConstraintViolationException("Item '" + id + "' would be invalid after this change", violations);
        }
        return Optional.of(items.save(changed.toItem(id)));
    }

    @Transactional
    public boolean delete(String id) {
        if (!items.existsById(id)) {
            return false;
        }
        items.deleteById(id);
        return true;
    }
}
