package io.protobase.sample;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.client.RestTestClient;

import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad requests over HTTP: each is answered with an RFC 9457 problem that says what was wrong, and
 * leaves the catalogue as it was.
 */
class CatalogValidationTests extends AbstractCatalogTests {

    private RestTestClient.ResponseSpec post(String json) {
        return http.post().uri("/items").contentType(MediaType.APPLICATION_JSON).body(json).exchange();
    }

    private RestTestClient.ResponseSpec put(String id, String json) {
        return http.put().uri("/items/{id}", id).contentType(MediaType.APPLICATION_JSON).body(json).exchange();
    }

    private RestTestClient.ResponseSpec patch(String id, String json) {
        return http.patch().uri("/items/{id}", id).contentType(MediaType.APPLICATION_JSON).body(json).exchange();
    }

    /**
     * Asserts a 400 problem whose {@code errors} name {@code fields} (in order, each once however many
     * rules it breaks), and answers its detail.
     * Problems here have no {@code type} member, which means {@code about:blank} (RFC 9457, 3.1.1):
     * the status and title say it all.
     */
    private String expectInvalid(RestTestClient.ResponseSpec response, String instance, String... fields) {
        byte[] problem = response.expectStatus().isBadRequest()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.type").doesNotExist()
                .jsonPath("$.title").isEqualTo("Bad Request")
                .jsonPath("$.status").isEqualTo(400)
                .jsonPath("$.instance").isEqualTo(instance)
                .jsonPath("$.errors[*].field")
                .value(named -> assertThat(((List<?>) named).stream().<Object>map(field -> field).distinct())
                        .containsExactly((Object[]) fields))
                .jsonPath("$.errors[*].message").value(messages -> assertThat((List<?>) messages).doesNotContainNull())
                .returnResult().getResponseBody();
        String detail = JsonPath.read(new String(problem, StandardCharsets.UTF_8), "$.detail");
        assertThat(detail).contains(fields);
        return detail;
    }

    @Test
    void createOfAnEmptyItemIsRejectedNamingEachMissingField() {
        expectInvalid(post("{}"), "/items", "category", "name", "price");
        assertThat(repository.count()).isZero();
    }

    @Test
    void createOfBlankNameAndCategoryIsRejected() {
        expectInvalid(post("""
                {"name":"  ","category":"","price":1}"""), "/items", "category", "name");
        assertThat(repository.count()).isZero();
    }

    @Test
    void createWithANegativePriceIsRejected() {
        String detail = expectInvalid(post("""
                {"name":"Apple","category":"fruit","price":-1.25}"""), "/items", "price");
        assertThat(detail).contains("must be greater than or equal to 0.00");
        assertThat(repository.count()).isZero();
    }

    @Test
    void createWithAPriceBeyondAMillionOrFinerThanCentsIsRejected() {
        expectInvalid(post("""
                {"name":"Apple","category":"fruit","price":1000000.01}"""), "/items", "price");
        expectInvalid(post("""
                {"name":"Apple","category":"fruit","price":1.255}"""), "/items", "price");
        assertThat(repository.count()).isZero();
    }

    @Test
    void createWithAPriceOfAHugeExponentIsRejectedAndStatisticsStillAnswer() {
        expectInvalid(post("""
                {"name":"Apple","category":"fruit","price":1e1000000000}"""), "/items", "price");
        assertThat(repository.count()).isZero();
        http.get().uri("/items/statistics").exchange().expectStatus().isOk().expectBody().json("[]");
    }

    @Test
    void createWithALongNameOrTooManyTagsIsRejected() {
        expectInvalid(post("{\"name\":\"" + "n".repeat(ItemRequest.MAX_NAME_LENGTH + 1)
                + "\",\"category\":\"fruit\",\"price\":1}"), "/items", "name");
        expectInvalid(post("{\"name\":\"Apple\",\"category\":\"fruit\",\"price\":1,\"tags\":[\"a\",\"\"]}"),
                "/items", "tags[1]");
        assertThat(repository.count()).isZero();
    }

    @Test
    void createWithAnUnknownFieldIsRejectedNamingIt() {
        String detail = expectInvalid(post("""
                {"name":"Apple","catagory":"fruit","price":1}"""), "/items", "catagory");
        assertThat(detail).isEqualTo("Unknown field 'catagory'; an item has the fields category, name, price, tags.");
        assertThat(repository.count()).isZero();
    }

    @Test
    void createWithAFieldOfTheWrongTypeIsRejectedNamingIt() {
        String detail = expectInvalid(post("""
                {"name":"Apple","category":"fruit","price":"cheap"}"""), "/items", "price");
        assertThat(detail).contains("price must be a number");
        assertThat(repository.count()).isZero();
    }

    @Test
    void createWithABodyThatIsNotJsonIsRejected() {
        post("{\"name\":").expectStatus().isBadRequest()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.title").isEqualTo("Bad Request")
                .jsonPath("$.detail").value(String.class, detail ->
                        assertThat(detail).startsWith("The body is not valid JSON"));
        assertThat(repository.count()).isZero();
    }

    @Test
    void createWithATenMegabyteNameIsRefusedAsTooLarge() {
        post("{\"name\":\"" + "n".repeat(10 * 1024 * 1024) + "\",\"category\":\"fruit\",\"price\":1}")
                .expectStatus().isEqualTo(413)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.type").doesNotExist()
                .jsonPath("$.title").isEqualTo("Content Too Large")
                .jsonPath("$.status").isEqualTo(413)
                .jsonPath("$.instance").isEqualTo("/items")
                .jsonPath("$.detail").value(String.class, detail -> assertThat(detail)
                        .contains("at most 16384 bytes (catalog.max-request-body)"));
        assertThat(repository.count()).isZero();
    }

    @Test
    void aChunkedBodyIsRefusedAsTooLargeBeyondTheLimitAndAcceptedWithin() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        String small = "{\"name\":\"Apple\",\"category\":\"fruit\",\"price\":1}";
        String large = "{\"name\":\"" + "n".repeat(20_000) + "\",\"category\":\"fruit\",\"price\":1}";

        HttpResponse<String> refused = client.send(chunkedPost(large), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(413);
        assertThat(refused.body()).contains("\"detail\":\"The request body has more than 16384 bytes");
        HttpResponse<String> accepted = client.send(chunkedPost(small), HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(201);
        assertThat(repository.findAll()).extracting(Item::name).containsExactly("Apple");
    }

    /** A POST whose body has no declared length, so the client sends it chunked. */
    private HttpRequest chunkedPost(String json) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/items"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() ->
                        new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))))
                .build();
    }

    @Test
    void putOfOnlyAPriceIsRejectedAndLeavesTheItemAsItWas() {
        Item apple = create("Apple", "fruit", "1.25");

        expectInvalid(put(apple.id(), """
                {"price":1.45}"""), "/items/" + apple.id(), "category", "name");
        assertThat(repository.findById(apple.id())).contains(apple);
    }

    @Test
    void patchToAnInvalidValueIsRejectedAndLeavesTheItemAsItWas() {
        Item apple = create("Apple", "fruit", "1.25");

        expectInvalid(patch(apple.id(), """
                {"name":"","price":-2}"""), "/items/" + apple.id(), "name", "price");
        expectInvalid(patch(apple.id(), """
                {"colour":"red"}"""), "/items/" + apple.id(), "colour");
        assertThat(repository.findById(apple.id())).contains(apple);
    }

    @Test
    void requestsForAnUnknownIdAreAnsweredWithANotFoundProblem() {
        String valid = """
                {"name":"Apple","category":"fruit","price":1}""";
        List<RestTestClient.ResponseSpec> responses = List.of(
                http.get().uri("/items/no-such-id").exchange(),
                put("no-such-id", valid),
                patch("no-such-id", valid),
                http.delete().uri("/items/no-such-id").exchange());

        for (RestTestClient.ResponseSpec response : responses) {
            response.expectStatus().isNotFound()
                    .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody()
                    .jsonPath("$.type").doesNotExist()
                    .json("""
                            {"title":"Not Found","status":404,"instance":"/items/no-such-id",
                             "detail":"No item has id 'no-such-id'. GET /items lists the items and their ids."}""");
        }
        assertThat(repository.count()).isZero();
    }

    @Test
    void aQueryParameterOfTheWrongTypeIsAnsweredWithABadRequestProblem() {
        http.get().uri("/items?min=cheap").exchange()
                .expectStatus().isBadRequest()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.title").isEqualTo("Bad Request")
                .jsonPath("$.detail").value(String.class, detail -> assertThat(detail).contains("min"));
    }

    @Test
    void anUnknownPathIsAnsweredWithANotFoundProblem() {
        http.get().uri("/itemz").exchange()
                .expectStatus().isNotFound()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.status").isEqualTo(404);
    }

    @Test
    void aPriceIsStoredAsSentWithinTheBounds() {
        post("""
                {"name":"Ring","category":"jewellery","price":1000000.00}""").expectStatus().isCreated();
        assertThat(repository.findByCategory("jewellery")).extracting(Item::price)
                .containsExactly(new BigDecimal("1000000.00"));
    }
}
