package io.protobase.spring.actuate;

import io.protobase.Database;
import io.protobase.collection.Dictionary;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.MockMvc;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.startsWith;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/** The {@code protobase} endpoint over HTTP: exposed only when the application says so, like Boot's own. */
class ProtoBaseEndpointWebTests {

    @TempDir
    static Path backups;

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class Application {
    }

    @Nested
    @SpringBootTest(classes = Application.class, properties = { "protobase.storage.type=memory",
            "spring.cloud.aws.s3.enabled=false", "management.endpoints.web.exposure.include=health,protobase" })
    @AutoConfigureMockMvc
    class Exposed {

        @Autowired
        MockMvc mvc;

        @Autowired
        Database database;

        @DynamicPropertySource
        static void backupDirectory(DynamicPropertyRegistry registry) {
            registry.add("protobase.backup.directory", () -> backups.resolve("exposed").toString());
        }

        @Test
        void readListsTheDatabasesAndTheirRoots() throws Exception {
            database.write(tx -> {
                tx.setRootObject("orders", Dictionary.of("o1", 10, "o2", 20));
                return null;
            });
            mvc.perform(get("/actuator/protobase")).andExpect(status().isOk())
                    .andExpect(jsonPath("$.databases[0].name").value("default"))
                    .andExpect(jsonPath("$.databases[0].roots[0].name").value("orders"))
                    .andExpect(jsonPath("$.databases[0].roots[0].type").value("Dictionary"))
                    .andExpect(jsonPath("$.databases[0].roots[0].size").value(2))
                    .andExpect(jsonPath("$.storage.description").isString())
                    .andExpect(jsonPath("$.cache.maxBytes").isNumber())
                    .andExpect(jsonPath("$.compaction.runs").isNumber());
        }

        @Test
        void selectorReadsOneDatabaseAndAnswers404ForAMissingOne() throws Exception {
            mvc.perform(get("/actuator/protobase/default")).andExpect(status().isOk())
                    .andExpect(jsonPath("$.name").value("default"));
            mvc.perform(get("/actuator/protobase/missing")).andExpect(status().isNotFound());
        }

        @Test
        void compactRunsOnPost() throws Exception {
            mvc.perform(post("/actuator/protobase/compact").contentType(MediaType.APPLICATION_JSON))
                    .andExpect(status().isOk())
                    .andExpect(jsonPath("$.sequence").isNumber());
        }

        @Test
        void backupOnPostGoesUnderTheConfiguredDirectory() throws Exception {
            mvc.perform(post("/actuator/protobase/backup").contentType(MediaType.APPLICATION_JSON)
                    .content("{\"includeHistory\": true}")).andExpect(status().isOk())
                    .andExpect(jsonPath("$.location").value(startsWith(
                            backups.resolve("exposed").toString())))
                    .andExpect(jsonPath("$.versions").isNumber());
            try (Stream<Path> made = Files.list(backups.resolve("exposed"))) {
                assertThat(made).singleElement()
                        .satisfies(b -> assertThat(b.resolve(ProtoBaseEndpoint.METADATA)).isRegularFile());
            }
        }

        @Test
        void unknownOperationIsABadRequest() throws Exception {
            mvc.perform(post("/actuator/protobase/drop").contentType(MediaType.APPLICATION_JSON))
                    .andExpect(status().isBadRequest());
        }
    }

    @Nested
    @SpringBootTest(classes = Application.class, properties = { "protobase.storage.type=memory",
            "spring.cloud.aws.s3.enabled=false" })
    @AutoConfigureMockMvc
    class NotExposedByDefault {

        @Autowired
        MockMvc mvc;

        @Test
        void endpointIsNotOnTheWebUnlessTheApplicationExposesIt() throws Exception {
            mvc.perform(get("/actuator/health")).andExpect(status().isOk());
            mvc.perform(get("/actuator/protobase")).andExpect(status().isNotFound());
            mvc.perform(post("/actuator/protobase/compact").contentType(MediaType.APPLICATION_JSON))
                    .andExpect(status().isNotFound());
        }
    }

    @Nested
    @SpringBootTest(classes = Application.class, properties = { "protobase.storage.type=memory",
            "spring.cloud.aws.s3.enabled=false", "management.endpoints.web.exposure.include=protobase" })
    @AutoConfigureMockMvc
    class ExposedWithoutBackupDirectory {

        @Autowired
        MockMvc mvc;

        @Test
        void backupIsRefusedAsABadRequestNamingTheProperty() throws Exception {
            mvc.perform(post("/actuator/protobase/backup").contentType(MediaType.APPLICATION_JSON))
                    .andExpect(status().isBadRequest())
                    .andExpect(result -> assertThat(result.getResponse().getErrorMessage())
                            .contains("protobase.backup.directory"));
        }
    }
}
