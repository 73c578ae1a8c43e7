package io.protobase.sample;

import java.math.BigDecimal;

/**
 * Items of one category: how many, and the range and average of their prices, the average rounded
 * half-even to cents. {@code category} is null for the items stored without one; the prices are null
 * when no item of the group has a price. Both happen only with items that an earlier, unvalidated
 * version of the sample stored.
 */
public record CategoryStatistics(String category, long count, BigDecimal minPrice, BigDecimal maxPrice,
        BigDecimal averagePrice) {
}
