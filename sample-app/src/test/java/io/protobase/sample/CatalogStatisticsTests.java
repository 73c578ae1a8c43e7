package io.protobase.sample;

import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.json.JsonCompareMode;

import java.math.BigDecimal;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Statistics and updates over items that an earlier version of the sample stored without
 * validation: no name, no category, no price, or a price no valid request can carry. They are
 * written here straight through the repository, as that version did.
 */
class CatalogStatisticsTests extends AbstractCatalogTests {

    private Item storeUnvalidated(String name, String category, String price) {
        return repository.save(new Item(null, name, category, price == null ? null : new BigDecimal(price), null));
    }

    @Test
    void itemsWithoutCategoryFormALastGroupWithANullCategory() {
        create("Apple", "fruit", "1.25");
        storeUnvalidated(null, null, "3.00");
        storeUnvalidated("Mystery", null, "4.00");

        http.get().uri("/items/statistics").exchange()
                .expectStatus().isOk()
                .expectBody().json("""
                        [{"category":"fruit","count":1,"minPrice":1.25,"maxPrice":1.25,"averagePrice":1.25},
                         {"category":null,"count":2,"minPrice":3.00,"maxPrice":4.00,"averagePrice":3.50}]""",
                        JsonCompareMode.STRICT);
    }

    @Test
    void itemsWithoutPriceCountButTakeNoPartInThePrices() {
        storeUnvalidated("Gift", "misc", null);
        storeUnvalidated("Card", "misc", "2.00");
        storeUnvalidated("Nothing", "empty", null);

        http.get().uri("/items/statistics").exchange()
                .expectStatus().isOk()
                .expectBody().json("""
                        [{"category":"empty","count":1,"minPrice":null,"maxPrice":null,"averagePrice":null},
                         {"category":"misc","count":2,"minPrice":2.00,"maxPrice":2.00,"averagePrice":2.00}]""",
                        JsonCompareMode.STRICT);
    }

    @Test
    void hugeAndTinyStoredPricesGiveStatisticsInsteadOfAnError() {
        create("Apple", "fruit", "1.25");
        storeUnvalidated("Planet", "fruit", "1E+1000000000");
        storeUnvalidated("Atom", "dust", "1E-1000000000");

        String statistics = new String(http.get().uri("/items/statistics").exchange()
                .expectStatus().isOk()
                .expectBody().returnResult().getResponseBody());

        assertThat(statistics).isEqualTo("["
                + "{\"category\":\"dust\",\"count\":1,\"minPrice\":1E-1000000000,\"maxPrice\":1E-1000000000,"
                + "\"averagePrice\":0.00},"
                + "{\"category\":\"fruit\",\"count\":2,\"minPrice\":1.25,\"maxPrice\":1E+1000000000,"
                + "\"averagePrice\":5E+999999999}]");
    }

    @Test
    void patchOfAnItemStoredWithoutCategoryMustSupplyIt() {
        Item legacy = storeUnvalidated("Apple", null, "1.25");

        http.patch().uri("/items/{id}", legacy.id()).contentType(MediaType.APPLICATION_JSON)
                .body("""
                        {"price":1.45}""")
                .exchange()
                .expectStatus().isBadRequest()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.errors[*].field").isEqualTo(List.of("category"))
                .jsonPath("$.detail").value(String.class, detail -> assertThat(detail)
                        .startsWith("Item '" + legacy.id() + "' would be invalid after this change: category"));
        assertThat(repository.findById(legacy.id())).contains(legacy);

        http.patch().uri("/items/{id}", legacy.id()).contentType(MediaType.APPLICATION_JSON)
                .body("""
                        {"category":"fruit","price":1.45}""")
                .exchange()
                .expectStatus().isOk();
        assertThat(repository.findById(legacy.id()))
                .contains(new Item(legacy.id(), "Apple", "fruit", new BigDecimal("1.45"), List.of()));
    }

    @Test
    void itemsStoredWithoutNameOrCategoryCanStillBeListedAndRead() {
        Item legacy = storeUnvalidated(null, null, null);

        http.get().uri("/items").exchange()
                .expectStatus().isOk()
                .expectBody().json("[{\"id\":\"" + legacy.id() + "\",\"name\":null,\"category\":null}]");
        http.get().uri("/items/{id}", legacy.id()).exchange().expectStatus().isOk();
    }
}
