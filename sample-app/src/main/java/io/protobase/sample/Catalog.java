package io.protobase.sample;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Validator;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

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

    /**
     * Arithmetic of the statistics: 34 significant digits, exact for any sum of valid prices, and
     * bounded in cost for any stored price (a legacy price of {@code 1E+1000000000} added exactly to
     * {@code 1.25} would need a billion-digit number).
     */
    private static final MathContext ARITHMETIC = MathContext.DECIMAL128;

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

    /**
     * Count, min, max and average price per category, ordered by category. Answers for any stored
     * items: those without a category form the last group, whose category is {@code null}; items
     * without a price count but take no part in the prices, which are {@code null} for a group with
     * no priced item.
     */
    @Transactional(readOnly = true)
    public List<CategoryStatistics> statistics() {
        Map<String, List<Item>> groups = new TreeMap<>(Comparator.nullsLast(Comparator.<String>naturalOrder()));
        for (Item item : list()) {
            groups.computeIfAbsent(item.category(), category -> new ArrayList<>()).add(item);
        }
        List<CategoryStatistics> result = new ArrayList<>();
        groups.forEach((category, members) -> {
            List<BigDecimal> prices = members.stream().map(Item::price).filter(price -> price != null).toList();
            BigDecimal average = null;
            if (!prices.isEmpty()) {
                BigDecimal sum = prices.stream().reduce(BigDecimal.ZERO, (a, b) -> a.add(b, ARITHMETIC));
                average = toCents(sum.divide(BigDecimal.valueOf(prices.size()), ARITHMETIC));
            }
            result.add(new CategoryStatistics(category, members.size(),
                    prices.stream().min(BigDecimal::compareTo).orElse(null),
                    prices.stream().max(BigDecimal::compareTo).orElse(null),
                    average));
        });
        return result;
    }

    /**
     * {@code value} rounded half-even to cents. A value with more integer digits than
     * {@link #ARITHMETIC} keeps its significant digits instead: only a price stored before prices
     * were bounded gets there, and rescaling it would build a number with as many digits as its
     * exponent.
     */
    private static BigDecimal toCents(BigDecimal value) {
        long integerDigits = (long) value.precision() - value.scale(); // |value| < 10^integerDigits
        if (integerDigits > ARITHMETIC.getPrecision()) {
            return value.stripTrailingZeros();
        }
        if (integerDigits < -2) { // |value| < 0.001
            return BigDecimal.ZERO.setScale(2);
        }
        return value.setScale(2, RoundingMode.HALF_EVEN);
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
