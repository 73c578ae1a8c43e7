package io.protobase.sample;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Digits;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

import java.math.BigDecimal;
import java.util.List;

/**
 * An item as a client sends it to {@code POST /items} and {@code PUT /items/{id}}: every field of the
 * item but its id, which the catalogue assigns. The constraints are the catalogue's rules for what it
 * stores; {@link Catalog} also checks a {@code PATCH}ed item against them, so every item stored by
 * this version satisfies them.
 *
 * <p>The bounds keep statistics exact and cheap: a price has at most seven integer digits and two
 * decimals, and text fields are short enough that a whole item fits in the request size limit
 * ({@code catalog.max-request-body}).
 */
public record ItemRequest(
        @NotBlank @Size(max = MAX_NAME_LENGTH) String name,
        @NotBlank @Size(max = MAX_CATEGORY_LENGTH) String category,
        @NotNull @DecimalMin("0.00") @DecimalMax(MAX_PRICE) @Digits(integer = 7, fraction = 2) BigDecimal price,
        @Size(max = MAX_TAGS) List<@NotBlank @Size(max = MAX_TAG_LENGTH) String> tags) {

    static final int MAX_NAME_LENGTH = 200;
    static final int MAX_CATEGORY_LENGTH = 100;
    static final String MAX_PRICE = "1000000.00";
    static final int MAX_TAGS = 20;
    static final int MAX_TAG_LENGTH = 50;

    public ItemRequest {
        tags = tags == null ? List.of() : tags;
    }

    /** The item to store under {@code id}. */
    Item toItem(String id) {
        return new Item(id, name, category, price, tags);
    }
}
