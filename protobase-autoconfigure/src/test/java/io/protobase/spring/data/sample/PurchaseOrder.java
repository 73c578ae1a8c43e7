package io.protobase.spring.data.sample;

import io.protobase.spring.data.annotation.Indexed;
import org.springframework.data.annotation.Id;
import org.springframework.data.annotation.Reference;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An order with a generated Integer id, a reference to a customer (stored as the customer's id), a
 * map, a set, a list of nested value objects, and codec scalar types.
 */
public record PurchaseOrder(@Id Integer id, @Reference @Indexed Customer customer, Map<String, Integer> quantities,
        Set<String> labels, List<Line> lines, Instant placed, BigDecimal total, LocalDate due, byte[] signature,
        Customer.Tier tierAtOrder) {

    /** One line of an order. */
    public record Line(String sku, int quantity, BigDecimal price) {
    }
}
