package io.protobase.spring.data.config;

import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.spring.autoconfigure.data.ProtoBaseRepositoriesAutoConfiguration;
import io.protobase.spring.data.core.mapping.event.AuditingEntityCallback;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.auditing.DateTimeProvider;
import org.springframework.data.domain.AuditorAware;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code @EnableProtoBaseAuditing}: who and when, on creation and on each later save, from the
 * auditor and clock beans it names.
 */
class ProtoBaseAuditingTests {

    static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");
    static final Instant T1 = Instant.parse("2026-01-02T11:30:00Z");

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class,
                    ProtoBaseRepositoriesAutoConfiguration.class))
            .withPropertyValues("protobase.storage.type=memory");

    @Test
    void aNewEntityGetsItsCreatedAndLastModifiedValues() {
        runner.withUserConfiguration(Audited.class).run(c -> {
            MemoRepository memos = c.getBean(MemoRepository.class);
            memos.save(new Memo("m1", "hello"));
            Memo stored = memos.findById("m1").orElseThrow();
            assertThat(stored.getCreated()).isEqualTo(T0);
            assertThat(stored.getModified()).isEqualTo(T0);
            assertThat(stored.getAuthor()).isEqualTo("alice");
            assertThat(stored.getEditor()).isEqualTo("alice");
        });
    }

    @Test
    void aLaterSaveChangesOnlyTheLastModifiedValues() {
        runner.withUserConfiguration(Audited.class).run(c -> {
            MemoRepository memos = c.getBean(MemoRepository.class);
            Memo memo = memos.save(new Memo("m1", "hello"));
            c.getBean(Clock.class).now.set(T1);
            c.getBean(Clock.class).user.set("bob");
            memo.setText("hello again");
            memos.save(memo);
            Memo stored = memos.findById("m1").orElseThrow();
            assertThat(stored.getCreated()).isEqualTo(T0);
            assertThat(stored.getAuthor()).isEqualTo("alice");
            assertThat(stored.getModified()).isEqualTo(T1);
            assertThat(stored.getEditor()).isEqualTo("bob");
        });
    }

    @Test
    void anImmutableEntityIsAuditedThroughItsWithMethods() {
        runner.withUserConfiguration(Audited.class).run(c -> {
            EntryRepository entries = c.getBean(EntryRepository.class);
            Entry saved = entries.save(new Entry("e1", null, "hello", null, null));
            assertThat(saved.created()).isEqualTo(T0);
            assertThat(entries.findById("e1").orElseThrow().author()).isEqualTo("alice");
        });
    }

    @Test
    void withoutModifyOnCreateANewEntityHasNoLastModifiedValues() {
        runner.withUserConfiguration(AuditedWithoutModifyOnCreate.class).run(c -> {
            MemoRepository memos = c.getBean(MemoRepository.class);
            memos.save(new Memo("m1", "hello"));
            Memo stored = memos.findById("m1").orElseThrow();
            assertThat(stored.getCreated()).isEqualTo(T0);
            assertThat(stored.getModified()).isNull();
            assertThat(stored.getEditor()).isNull();
        });
    }

    @Test
    void withoutADateTimeProviderTheDatesAreTheCurrentTime() {
        runner.withUserConfiguration(AuditedByTheClock.class).run(c -> {
            MemoRepository memos = c.getBean(MemoRepository.class);
            Instant before = Instant.now();
            memos.save(new Memo("m1", "hello"));
            Instant after = Instant.now();
            Memo stored = memos.findById("m1").orElseThrow();
            assertThat(stored.getCreated()).isBetween(before, after);
            assertThat(stored.getModified()).isEqualTo(stored.getCreated());
            assertThat(stored.getAuthor()).isEqualTo("alice");
        });
    }

    @Test
    void withoutTheAnnotationNothingIsAudited() {
        runner.withUserConfiguration(NotAudited.class).run(c -> {
            assertThat(c).doesNotHaveBean(AuditingEntityCallback.class);
            MemoRepository memos = c.getBean(MemoRepository.class);
            memos.save(new Memo("m1", "hello"));
            assertThat(memos.findById("m1").orElseThrow().getCreated()).isNull();
        });
    }

    /** The time and the user the auditing beans report, changed by the tests. */
    static class Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(T0);
        final AtomicReference<String> user = new AtomicReference<>("alice");
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage
    static class NotAudited {

        @Bean
        Clock clock() {
            return new Clock();
        }

        @Bean
        DateTimeProvider testTime(Clock clock) {
            return () -> Optional.of(clock.now.get());
        }

        @Bean
        AuditorAware<String> testUser(Clock clock) {
            return () -> Optional.of(clock.user.get());
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableProtoBaseAuditing(auditorAwareRef = "testUser", dateTimeProviderRef = "testTime")
    static class Audited extends NotAudited {
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage
    @EnableProtoBaseAuditing(auditorAwareRef = "testUser")
    static class AuditedByTheClock {

        @Bean
        AuditorAware<String> testUser() {
            return () -> Optional.of("alice");
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableProtoBaseAuditing(auditorAwareRef = "testUser", dateTimeProviderRef = "testTime", modifyOnCreate = false)
    static class AuditedWithoutModifyOnCreate extends NotAudited {
    }
}
