package io.protobase.sample;

import java.math.BigDecimal;

/** Items of one category: how many, and their price range and average. */
public record CategoryStatistics(String category, long count, BigDecimal minPrice, BigDecimal maxPrice,
        BigDecimal averagePrice) {
}
