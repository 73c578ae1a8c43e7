package io.protobase.sample;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The catalogue, on an {@link ItemRepository}. Each public method is one ProtoBase transaction
 * ({@code @Transactional}) that the repository calls join, so an update's existence check and its
 * save commit together or not at all.
 */
@Service
public class Catalog {

    private final ItemRepository items;

    public Catalog(ItemRepository items) {
        this.items = items;
    }

    @Transactional
    public Item create(Item item) {
        return items.save(item.withId(null)); // the repository assigns a UUID
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

    @Transactional
    public Optional<Item> update(String id, Item changes) {
        if (!items.existsById(id)) {
            return Optional.empty();
        }
        return Optional.of(items.save(changes.withId(id)));
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
