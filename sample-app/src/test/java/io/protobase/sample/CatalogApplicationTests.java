package io.protobase.sample;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.json.JsonCompareMode;

import java.math.BigDecimal;
import java.util.List;

import io.protobase.Database;
import io.protobase.collection.Dictionary;

import org.assertj.core.api.InstanceOfAssertFactories;

import static org.assertj.core.api.Assertions.assertThat;

/** The catalogue's REST API and actuator over HTTP, with valid requests. */
class CatalogApplicationTests extends AbstractCatalogTests {

    @Autowired
    Database database;

    @Test
    void createdItemsCanBeReadListedByCategoryAndPriceAndDeleted() {
        Item apple = create("Apple", "fruit", "1.25");
        Item pear = create("Pear", "fruit", "2.00");
        Item kettle = create("Kettle", "kitchen", "30");

        http.get().uri("/items/{id}", apple.id()).exchange()
                .expectStatus().isOk()
                .expectBody().json("""
                        {"name":"Apple","category":"fruit","price":1.25,"tags":["new"]}""");
        http.get().uri("/items?category=fruit").exchange()
                .expectBody().jsonPath("$[*].id")
                .value(ids -> assertThat(ids).asInstanceOf(InstanceOfAssertFactories.LIST)
                        .containsExactlyInAnyOrder(apple.id(), pear.id()));
        http.get().uri("/items?min=2&max=40").exchange()
                .expectBody().jsonPath("$[*].id").isEqualTo(List.of(pear.id(), kettle.id()));
        http.get().uri("/items?min=0&max=40").exchange()
                .expectBody().jsonPath("$[*].id").isEqualTo(List.of(apple.id(), pear.id(), kettle.id()));

        http.delete().uri("/items/{id}", kettle.id()).exchange().expectStatus().isNoContent();
        http.get().uri("/items/{id}", kettle.id()).exchange().expectStatus().isNotFound();
        http.get().uri("/items?category=kitchen").exchange().expectBody().json("[]");
        assertThat(repository.findAll()).extracting(Item::id).containsExactlyInAnyOrder(apple.id(), pear.id());
    }

    @Test
    void putReplacesTheWholeItemAndMovesItBetweenCategories() {
        Item pear = create("Pear", "fruit", "2.00");

        http.put().uri("/items/{id}", pear.id()).contentType(MediaType.APPLICATION_JSON)
                .body("""
                        {"name":"Pear drops","category":"sweets","price":2.5}""")
                .exchange()
                .expectStatus().isOk()
                .expectBody().json("""
                        {"name":"Pear drops","category":"sweets","price":2.5,"tags":[]}""");
        http.get().uri("/items?category=fruit").exchange().expectBody().json("[]");
        assertThat(repository.findByCategory("sweets"))
                .containsExactly(new Item(pear.id(), "Pear drops", "sweets", new BigDecimal("2.5"), List.of()));
    }

    @Test
    void patchChangesOnlyTheFieldsItNames() {
        Item apple = create("Apple", "fruit", "1.25");

        http.patch().uri("/items/{id}", apple.id()).contentType(MediaType.APPLICATION_JSON)
                .body("""
                        {"price":1.45}""")
                .exchange()
                .expectStatus().isOk()
                .expectBody().json("""
                        {"name":"Apple","category":"fruit","price":1.45,"tags":["new"]}""");
        assertThat(repository.findById(apple.id())).contains(
                new Item(apple.id(), "Apple", "fruit", new BigDecimal("1.45"), List.of("new")));
    }

    @Test
    void statisticsGiveCountPriceRangeAndAverageRoundedToCentsPerCategory() {
        create("Apple", "fruit", "1.25");
        create("Pear", "fruit", "2.00");
        create("Kettle", "kitchen", "30");

        http.get().uri("/items/statistics").exchange()
                .expectStatus().isOk()
                .expectBody().json("""
                        [{"category":"fruit","count":2,"minPrice":1.25,"maxPrice":2.00,"averagePrice":1.62},
                         {"category":"kitchen","count":1,"minPrice":30,"maxPrice":30,"averagePrice":30.00}]""",
                        JsonCompareMode.STRICT);
    }

    @Test
    void theItemsRootCarriesTheCategoryAndPriceIndexes() {
        create("Apple", "fruit", "1.25");

        Dictionary items = database.read(tx -> tx.getRootObject("items", Dictionary.class));
        assertThat(items.indexes()).containsKeys("category", "price");
        assertThat(repository.findByCategory("nothing-here")).isEmpty();
    }

    @Test
    void actuatorShowsHealthAndTransactionMetrics() {
        create("Plum", "fruit", "0.80");

        http.get().uri("/actuator/health").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.components.protobase.status").isEqualTo("UP")
                .jsonPath("$.components.protobase.details.type").isEqualTo("file")
                .jsonPath("$.components.protobase.details.databases").isEqualTo(List.of("catalog"))
                .jsonPath("$.components.protobase.details.lastCommit").exists();
        http.get().uri("/actuator/metrics/protobase.transactions?tag=outcome:committed").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.measurements[?(@.statistic == 'COUNT')].value")
                .value(counts -> assertThat(((Number) ((List<?>) counts).get(0)).doubleValue())
                        .isGreaterThanOrEqualTo(1))
                .jsonPath("$.availableTags[?(@.tag == 'database')].values[*]").value(values ->
                        assertThat(values).asInstanceOf(InstanceOfAssertFactories.LIST).contains("catalog"));
    }
}
