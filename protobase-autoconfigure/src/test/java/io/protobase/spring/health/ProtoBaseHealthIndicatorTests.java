package io.protobase.spring.health;

import io.protobase.testing.ExpectedWarnings;
import io.protobase.CorruptionException;
import io.protobase.Database;
import io.protobase.FencedException;
import io.protobase.ObjectSpace;
import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.spring.autoconfigure.health.ProtoBaseHealthContributorAutoConfiguration;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.CommitLock;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.cloud.CloudBlockProvider;
import io.protobase.storage.cloud.CloudFileStorage;
import io.protobase.storage.cloud.MockS3Client;
import io.protobase.storage.cloud.ObjectStore;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.util.FileSystemUtils;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code protobase} health contributor, through the auto-configured bean. */
@ExpectedWarnings(value = {CloudFileStorage.class, ObjectSpace.class},
        messages = {"was fenced", "before closing it failed"})
class ProtoBaseHealthIndicatorTests {

    @TempDir
    Path dir;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class,
                    ProtoBaseHealthContributorAutoConfiguration.class));

    private ApplicationContextRunner onFile() {
        return runner.withPropertyValues("protobase.storage.file.path=" + dir);
    }

    private static Health health(org.springframework.context.ApplicationContext context) {
        return ((HealthIndicator) context.getBean("protobaseHealthIndicator")).health(true);
    }

    @Test
    void upWithTypeLocationDatabasesAndLastCommit() {
        onFile().run(context -> {
            Database db = context.getBean(Database.class);
            db.write(tx -> {
                tx.setRootObject("n", 1);
                return null;
            });
            Health health = health(context);
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("type", "file")
                    .containsEntry("location", dir.toRealPath().toString())
                    .containsEntry("databases", List.of("default"))
                    .containsEntry("lastCommit", db.lastCommitTime().toString());
        });
    }

    @Test
    void memoryStorageIsReportedAsSuch() {
        runner.withPropertyValues("protobase.storage.type=memory").run(context -> {
            Health health = health(context);
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("type", "memory");
        });
    }

    @Test
    void downWhenTheSpaceIsClosed() {
        onFile().run(context -> {
            context.getBean(ObjectSpace.class).close(Duration.ZERO);
            Health health = health(context);
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.getDetails()).containsEntry("reason", "the object space is closed");
        });
    }

    @Test
    void downWhenTheDirectoryIsGone() {
        onFile().run(context -> {
            FileSystemUtils.deleteRecursively(dir);
            Health health = health(context);
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat((String) health.getDetails().get("reason")).contains(dir.toString()).contains("missing");
        });
    }

    @Test
    void downWhenTheRootIsCorrupt() {
        CorruptibleStorage storage = new CorruptibleStorage();
        runner.withBean(SharedStorage.class, () -> storage).run(context -> {
            context.getBean(Database.class).write(tx -> {
                tx.setRootObject("n", 1);
                return null;
            });
            assertThat(health(context).getStatus()).isEqualTo(Status.UP);
            storage.corrupt.set(true);
            Health health = health(context);
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat((String) health.getDetails().get("reason")).startsWith("corrupt: ").contains("bad checksum");
        });
    }

    @Test
    void aFencedCloudNodeIsDownNamingTheEpochThatTookOverAndWhatToDo() {
        MockS3Client s3 = new MockS3Client();
        runner.withBean(ObjectStore.class, () -> s3).withPropertyValues("protobase.storage.type=cloud",
                "protobase.storage.cloud.bucket=shop-data",
                "protobase.storage.cloud.cache-dir=" + dir.resolve("node-a"),
                "protobase.storage.cloud.upload-interval=50ms").run(context -> {
                    CloudFileStorage storage = context.getBean(CloudFileStorage.class);
                    Database db = context.getBean(Database.class);
                    db.write(tx -> {
                        tx.setRootObject("n", 1);
                        return null;
                    });
                    storage.uploadNow(); // nothing left to upload: the next round is the one of the commit below
                    // a second node opens the same prefix and takes it over
                    try (CloudFileStorage newer = new CloudFileStorage(new CloudBlockProvider(s3, "",
                            dir.resolve("node-b"), 8L << 20, 64 * 1024), CloudFileStorage.Options.defaults())) {
                        db.write(tx -> {
                            tx.setRootObject("n", 2);
                            return null;
                        });
                        assertThatThrownBy(storage::uploadNow).isInstanceOf(FencedException.class);

                        Health health = health(context);
                        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                        assertThat(health.getDetails()).containsEntry("type", "cloud").containsEntry("fenced", true)
                                .containsEntry("writerEpoch", storage.epoch())
                                .containsEntry("fencedByEpoch", newer.epoch())
                                .containsEntry("bucketReachable", true).doesNotContainKey("lastUploadError");
                        assertThat((String) health.getDetails().get("reason"))
                                .startsWith("fenced: writer epoch " + newer.epoch() + " took over")
                                .contains("prefix ''").contains("no longer writes");
                        assertThat((String) health.getDetails().get("action")).contains("stop this node")
                                .contains("restart it").contains("protobase.storage.cloud.prefix");
                    }
                });
    }

    @Test
    void switchedOffByProperty() {
        onFile().withPropertyValues("management.health.protobase.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean("protobaseHealthIndicator"));
    }

    @Test
    void applicationsWithoutTheHealthModuleStillStart() {
        onFile().withClassLoader(new FilteredClassLoader(HealthIndicator.class))
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(Database.class)
                        .doesNotHaveBean("protobaseHealthIndicator"));
    }

    /** A memory storage whose reads can be made to fail as a damaged file storage's would. */
    static final class CorruptibleStorage implements SharedStorage {
        final MemoryStorage delegate = new MemoryStorage();
        final AtomicBoolean corrupt = new AtomicBoolean();

        @Override
        public AtomPointer push(byte[] atom) {
            return delegate.push(atom);
        }

        @Override
        public byte[] read(AtomPointer pointer) {
            if (corrupt.get()) {
                throw new CorruptionException("bad checksum at " + pointer);
            }
            return delegate.read(pointer);
        }

        @Override
        public AtomPointer readRoot() {
            return delegate.readRoot();
        }

        @Override
        public CommitLock acquireCommitLock(Duration timeout) {
            return delegate.acquireCommitLock(timeout);
        }

        @Override
        public boolean compareAndSetRoot(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
            return delegate.compareAndSetRoot(lock, expected, newRoot);
        }

        @Override
        public void flush() {
            delegate.flush();
        }

        @Override
        public String describe() {
            return "corruptible " + delegate.describe();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
