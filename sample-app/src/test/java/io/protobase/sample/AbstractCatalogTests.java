package io.protobase.sample;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.client.RestTestClient;

/**
 * The application on a random port, driven over real HTTP, on a file database of its own. The test
 * classes share one application (Spring caches the context), so each test starts from an empty
 * catalogue, and the classes take turns: none sees another's items, whatever the order they run in.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "protobase.storage.file.path=target/test-data/${random.uuid}")
@ResourceLock("catalog-database")
abstract class AbstractCatalogTests {

    @LocalServerPort
    int port;

    @Autowired
    ItemRepository repository;

    RestTestClient http;

    @BeforeEach
    void emptyCatalog() {
        http = RestTestClient.bindToServer().baseUrl("http://localhost:" + port).build();
        repository.deleteAll();
    }

    /** Creates an item over HTTP and answers it as stored. */
    Item create(String name, String category, String price) {
        return http.post().uri("/items").contentType(MediaType.APPLICATION_JSON)
                .body("{\"name\":\"" + name + "\",\"category\":\"" + category + "\",\"price\":" + price
                        + ",\"tags\":[\"new\"]}")
                .exchange()
                .expectStatus().isCreated()
                .expectBody(Item.class).returnResult().getResponseBody();
    }
}
