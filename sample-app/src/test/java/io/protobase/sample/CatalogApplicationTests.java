package io.protobase.sample;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.protobase.Database;
import io.protobase.collection.Dictionary;

import static org.assertj.core.api.Assertions.assertThat;

/** Boots the application on a random port and drives its REST API and actuator over HTTP. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "protobase.storage.file.path=target/test-data/${random.uuid}")
class CatalogApplicationTests {

    @LocalServerPort
    int port;

    @Autowired
    Database database;

    @Autowired
    ItemRepository repository;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> send(String method, String path, String json) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .header("Content-Type", "application/json");
        request.method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(json));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String create(String name, String category, String price) throws Exception {
        HttpResponse<String> created = send("POST", "/items", "{\"name\":\"" + name + "\",\"category\":\"" + category
                + "\",\"price\":" + price + ",\"tags\":[\"new\"]}");
        assertThat(created.statusCode()).isEqualTo(201);
        Matcher id = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(created.body());
        assertThat(id.find()).as(created.body()).isTrue();
        return id.group(1);
    }

    @Test
    void crudListingsAndStatisticsOverHttp() throws Exception {
        String apple = create("Apple", "fruit", "1.25");
        String pear = create("Pear", "fruit", "2.00");
        String kettle = create("Kettle", "kitchen", "30");

        HttpResponse<String> got = send("GET", "/items/" + apple, null);
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(got.body()).contains("\"name\":\"Apple\"").contains("\"price\":1.25").contains("\"tags\":[\"new\"]");

        assertThat(send("GET", "/items?category=fruit", null).body()).contains(apple).contains(pear)
                .doesNotContain(kettle);
        assertThat(send("GET", "/items?min=2&max=40", null).body()).contains(pear).contains(kettle)
                .doesNotContain(apple);
        assertThat(send("GET", "/items?min=0&max=40", null).body().indexOf(apple))
                .as("cheapest first").isLessThan(send("GET", "/items?min=0&max=40", null).body().indexOf(kettle));
        assertThat(send("GET", "/items/statistics", null).body())
                .contains("{\"category\":\"fruit\",\"count\":2,\"minPrice\":1.25,\"maxPrice\":2.00,\"averagePrice\":1.62}");

        HttpResponse<String> updated = send("PUT", "/items/" + pear,
                "{\"name\":\"Pear\",\"category\":\"kitchen\",\"price\":2.5,\"tags\":[]}");
        assertThat(updated.statusCode()).isEqualTo(200);
        assertThat(send("GET", "/items?category=fruit", null).body()).doesNotContain(pear);
        assertThat(send("GET", "/items?category=kitchen", null).body()).contains(pear).contains(kettle);

        assertThat(send("DELETE", "/items/" + kettle, null).statusCode()).isEqualTo(204);
        assertThat(send("GET", "/items/" + kettle, null).statusCode()).isEqualTo(404);
        assertThat(send("DELETE", "/items/" + kettle, null).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/items?category=kitchen", null).body()).doesNotContain(kettle);
    }

    @Test
    void theItemsRootCarriesTheCategoryAndPriceIndexes() {
        Dictionary items = database.read(tx -> tx.getRootObject("items", Dictionary.class));
        assertThat(items.indexes()).containsKeys("category", "price");
        assertThat(repository.findByCategory("nothing-here")).isEmpty();
    }

    @Test
    void actuatorShowsHealthAndTransactionMetrics() throws Exception {
        create("Plum", "fruit", "0.80");

        HttpResponse<String> health = send("GET", "/actuator/health", null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"protobase\":{").contains("\"type\":\"file\"")
                .contains("\"databases\":[\"catalog\"]").contains("\"lastCommit\"");

        HttpResponse<String> metric = send("GET", "/actuator/metrics/protobase.transactions?tag=outcome:committed", null);
        assertThat(metric.statusCode()).isEqualTo(200);
        Matcher count = Pattern.compile("\"statistic\":\"COUNT\",\"value\":([0-9.]+)").matcher(metric.body());
        assertThat(count.find()).as(metric.body()).isTrue();
        assertThat(Double.parseDouble(count.group(1))).isGreaterThanOrEqualTo(1);
        assertThat(metric.body()).contains("\"database\"").contains("catalog");
        assertThat(database.name()).isEqualTo("catalog");
    }
}
