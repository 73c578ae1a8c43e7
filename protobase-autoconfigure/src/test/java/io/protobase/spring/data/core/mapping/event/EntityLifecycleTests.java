package io.protobase.spring.data.core.mapping.event;

import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.spring.autoconfigure.data.ProtoBaseRepositoriesAutoConfiguration;
import io.protobase.spring.data.core.ProtoBaseTemplate;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Entity callbacks and mapping events around the repositories' saves, reads and deletes: their
 * order, what callbacks change, and when the {@code After…} events of writes are published relative
 * to the transaction.
 */
class EntityLifecycleTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class,
                    TransactionAutoConfiguration.class, ProtoBaseRepositoriesAutoConfiguration.class))
            .withPropertyValues("protobase.storage.type=memory")
            .withUserConfiguration(Hooks.class);

    @Test
    void aSaveRunsTheEventsAndCallbacksInSpringDataMongoDbsOrder() {
        runner.run(c -> {
            Journal journal = c.getBean(Journal.class);
            c.getBean(NoteRepository.class).save(new Note("n1", "hello", "misc"));
            assertThat(journal.entries).containsExactly("BeforeConvertEvent n1", "BeforeConvertCallback n1",
                    "BeforeSaveEvent n1 hello!", "BeforeSaveCallback n1 hello!", "AfterSaveCallback n1 hello!",
                    "AfterSaveEvent n1 hello!");
        });
    }

    @Test
    void whatABeforeConvertCallbackReturnsIsWhatIsStoredAndReturned() {
        runner.run(c -> {
            NoteRepository notes = c.getBean(NoteRepository.class);
            assertThat(notes.save(new Note("n1", "hello", "misc")).text()).isEqualTo("hello!");
            assertThat(notes.findById("n1")).get().extracting(Note::text).isEqualTo("hello! (read)");
        });
    }

    @Test
    void changesABeforeSaveCallbackMakesToTheEntityItReturnsAreStored() {
        runner.run(c -> {
            DraftRepository drafts = c.getBean(DraftRepository.class);
            assertThat(drafts.save(new Draft("d1", "three little words")).getWords()).isEqualTo(3);
            assertThat(drafts.findById("d1")).get().extracting(Draft::getWords).isEqualTo(3);
        });
    }

    @Test
    void readsPublishAfterConvertEventsAndRunAfterConvertCallbacks() {
        runner.run(c -> {
            NoteRepository notes = c.getBean(NoteRepository.class);
            notes.saveAll(List.of(new Note("n1", "a", "t"), new Note("n2", "b", "t")));
            Journal journal = c.getBean(Journal.class);
            journal.entries.clear();
            assertThat(notes.findByTopic("t")).extracting(Note::text).containsExactlyInAnyOrder("a! (read)",
                    "b! (read)");
            assertThat(journal.entries).containsExactlyInAnyOrder("AfterConvertEvent n1 a!",
                    "AfterConvertCallback n1", "AfterConvertEvent n2 b!", "AfterConvertCallback n2");
        });
    }

    @Test
    void deletesPublishBeforeAndAfterDeleteEventsWithTheIds() {
        runner.run(c -> {
            NoteRepository notes = c.getBean(NoteRepository.class);
            notes.saveAll(List.of(new Note("n1", "a", "t"), new Note("n2", "b", "t"), new Note("n3", "c", "u")));
            Journal journal = c.getBean(Journal.class);
            journal.entries.clear();
            notes.deleteById("n3");
            notes.deleteById("n3");
            assertThat(notes.deleteByTopic("t")).isEqualTo(2);
            assertThat(journal.entries).filteredOn(e -> e.contains("Delete")).containsExactly(
                    "BeforeDeleteEvent n3", "AfterDeleteEvent n3",
                    "BeforeDeleteEvent n1", "BeforeDeleteEvent n2", "AfterDeleteEvent n1", "AfterDeleteEvent n2");
        });
    }

    @Test
    void afterSaveEventsWaitForTheEnclosingTransactionToCommit() {
        runner.run(c -> {
            NoteRepository notes = c.getBean(NoteRepository.class);
            Journal journal = c.getBean(Journal.class);
            TransactionTemplate transaction = new TransactionTemplate(c.getBean(PlatformTransactionManager.class));
            List<String> beforeCommit = transaction.execute(s -> {
                notes.save(new Note("n1", "a", "t"));
                notes.deleteById("n1");
                return List.copyOf(journal.entries);
            });
            assertThat(beforeCommit).contains("BeforeSaveEvent n1 a!", "BeforeDeleteEvent n1")
                    .noneMatch(e -> e.startsWith("AfterSaveEvent") || e.startsWith("AfterDeleteEvent"));
            assertThat(journal.entries).contains("AfterSaveEvent n1 a!", "AfterDeleteEvent n1");
        });
    }

    @Test
    void aRolledBackTransactionPublishesNoAfterSaveEvent() {
        runner.run(c -> {
            NoteRepository notes = c.getBean(NoteRepository.class);
            Journal journal = c.getBean(Journal.class);
            new TransactionTemplate(c.getBean(PlatformTransactionManager.class)).executeWithoutResult(s -> {
                notes.save(new Note("n1", "a", "t"));
                s.setRollbackOnly();
            });
            assertThat(notes.findById("n1")).isEmpty();
            assertThat(journal.entries).contains("BeforeSaveEvent n1 a!").noneMatch(e -> e.startsWith("AfterSave"
                    + "Event"));
        });
    }

    @Test
    void eventsSwitchedOffAreNotPublishedWhileCallbacksStillRun() {
        runner.run(c -> {
            c.getBean(ProtoBaseTemplate.class).setEntityLifecycleEventsEnabled(false);
            NoteRepository notes = c.getBean(NoteRepository.class);
            notes.save(new Note("n1", "hello", "misc"));
            notes.findById("n1");
            notes.deleteById("n1");
            assertThat(c.getBean(Journal.class).entries).containsExactly("BeforeConvertCallback n1",
                    "BeforeSaveCallback n1 hello!", "AfterSaveCallback n1 hello!", "AfterConvertCallback n1");
        });
    }

    @Test
    void aListenerOfAnotherEntityTypeHearsNothing() {
        runner.run(c -> {
            c.getBean(NoteRepository.class).save(new Note("n1", "hello", "misc"));
            assertThat(c.getBean(OtherTypeListener.class).heard).isEmpty();
        });
    }

    /** What the hooks saw, in order. */
    static class Journal {
        final List<String> entries = new CopyOnWriteArrayList<>();
    }

    static class NoteListener extends AbstractProtoBaseEventListener<Note> {
        private final Journal journal;

        NoteListener(Journal journal) {
            this.journal = journal;
        }

        @Override
        public void onBeforeConvert(BeforeConvertEvent<Note> event) {
            journal.entries.add("BeforeConvertEvent " + event.getSource().id());
        }

        @Override
        public void onBeforeSave(BeforeSaveEvent<Note> event) {
            journal.entries.add("BeforeSaveEvent " + event.getSource().id() + " " + event.getRecord().getAt("text"));
        }

        @Override
        public void onAfterSave(AfterSaveEvent<Note> event) {
            journal.entries.add("AfterSaveEvent " + event.getSource().id() + " " + event.getRecord().getAt("text"));
        }

        @Override
        public void onAfterConvert(AfterConvertEvent<Note> event) {
            journal.entries.add("AfterConvertEvent " + event.getSource().id() + " " + event.getSource().text());
        }

        @Override
        public void onBeforeDelete(BeforeDeleteEvent<Note> event) {
            journal.entries.add("BeforeDeleteEvent " + event.getSource());
        }

        @Override
        public void onAfterDelete(AfterDeleteEvent<Note> event) {
            journal.entries.add("AfterDeleteEvent " + event.getSource());
        }
    }

    static class OtherTypeListener extends AbstractProtoBaseEventListener<String> {
        final List<Object> heard = new CopyOnWriteArrayList<>();

        @Override
        public void onBeforeConvert(BeforeConvertEvent<String> event) {
            heard.add(event);
        }

        @Override
        public void onAfterSave(AfterSaveEvent<String> event) {
            heard.add(event);
        }

        @Override
        public void onBeforeDelete(BeforeDeleteEvent<String> event) {
            heard.add(event);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage
    static class Hooks {

        @Bean
        Journal journal() {
            return new Journal();
        }

        @Bean
        NoteListener noteListener(Journal journal) {
            return new NoteListener(journal);
        }

        @Bean
        OtherTypeListener otherTypeListener() {
            return new OtherTypeListener();
        }

        @Bean
        BeforeConvertCallback<Note> exclaim(Journal journal) {
            return (note, root) -> {
                journal.entries.add("BeforeConvertCallback " + note.id());
                return note.text().endsWith("!") ? note : note.withText(note.text() + "!");
            };
        }

        @Bean
        BeforeSaveCallback<Note> beforeSave(Journal journal) {
            return (note, record, root) -> {
                journal.entries.add("BeforeSaveCallback " + note.id() + " " + record.getAt("text"));
                return note;
            };
        }

        @Bean
        BeforeSaveCallback<Draft> countWords() {
            return (draft, record, root) -> {
                draft.setWords(draft.getText().split(" ").length);
                return draft;
            };
        }

        @Bean
        AfterSaveCallback<Note> afterSave(Journal journal) {
            return (note, record, root) -> {
                journal.entries.add("AfterSaveCallback " + note.id() + " " + record.getAt("text"));
                return note;
            };
        }

        @Bean
        AfterConvertCallback<Note> markRead(Journal journal) {
            return (note, record, root) -> {
                journal.entries.add("AfterConvertCallback " + note.id());
                return note.withText(note.text() + " (read)");
            };
        }
    }
}
