package io.protobase.spring.test.autoconfigure.app;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.spring.data.core.ProtoBaseOperations;
import io.protobase.spring.test.autoconfigure.DataProtoBaseTest;
import io.protobase.spring.transaction.ProtoBaseTransactionManager;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.transaction.annotation.Transactional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code @DataProtoBaseTest} on a small application whose configuration
 * ({@code slice-application.yml}) puts ProtoBase on file storage: the slice runs it on memory storage
 * with the repositories, the template and the transaction manager, and without the application's
 * controller and service.
 */
@DataProtoBaseTest(properties = "spring.config.name=slice-application")
class DataProtoBaseTestTests {

    @Autowired
    NoteRepository notes;

    @Autowired
    ApplicationContext context;

    @Autowired
    Environment environment;

    @Test
    void repositoryRoundTripsAnEntity() {
        notes.save(new Note("n1", "hello"));
        assertThat(notes.findByText("hello")).containsExactly(new Note("n1", "hello"));
    }

    @Test
    void runsOnMemoryStorageAlthoughTheApplicationConfigurationSaysFile() {
        assertThat(environment.getProperty("protobase.storage.file.fsync")).as("the application's file was read")
                .isEqualTo("none");
        assertThat(context.getBean(ObjectSpace.class).storage()).isInstanceOf(MemoryStorage.class);
    }

    @Test
    void hasTheTemplateAndTheTransactionManager() {
        assertThat(context.getBeansOfType(ProtoBaseOperations.class)).hasSize(1);
        assertThat(context.getBeansOfType(ProtoBaseTransactionManager.class)).hasSize(1);
    }

    @Test
    void leavesOutTheApplicationsControllersAndServices() {
        assertThat(context.getBeansOfType(NoteController.class)).isEmpty();
        assertThat(context.getBeansOfType(NoteService.class)).isEmpty();
    }

    @Test
    @Transactional
    void transactionalTestMethodsRunInAProtoBaseTransaction() {
        notes.save(new Note("n2", "inside"));
        assertThat(context.getBean(Database.class).hasCurrentTransaction()).isTrue();
    }
}
