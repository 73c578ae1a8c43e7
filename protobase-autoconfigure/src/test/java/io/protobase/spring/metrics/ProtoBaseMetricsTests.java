package io.protobase.spring.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.protobase.ConflictException;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.Transaction;
import io.protobase.spring.autoconfigure.ProtoBaseAutoConfiguration;
import io.protobase.spring.autoconfigure.metrics.ProtoBaseMetricsAutoConfiguration;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code protobase.*} meters, read from the application's real registry. */
class ProtoBaseMetricsTests {

    @TempDir
    Path dir;

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                        ProtoBaseAutoConfiguration.class, ProtoBaseMetricsAutoConfiguration.class))
                .withBean(SimpleMeterRegistry.class)
                .withPropertyValues("protobase.storage.file.path=" + dir);
    }

    private static double transactions(MeterRegistry registry, String outcome) {
        return registry.get("protobase.transactions").tag("database", "default").tag("outcome", outcome).counter()
                .count();
    }

    @Test
    void compactionCountersFollowTheObjectSpaceStatistics() {
        runner().withPropertyValues("protobase.storage.type=memory", "protobase.history.retention=0s",
                "protobase.compaction.interval=0s", "protobase.compaction.min-dead-bytes=0B")
                .withBean(SharedStorage.class, () -> new MemoryStorage(16 * 1024))
                .run(context -> {
                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    Database db = context.getBean(Database.class);
                    for (int i = 0; i < 30; i++) {
                        String value = ("value " + i + " ").repeat(1000);
                        db.write(tx -> {
                            tx.setRootObject("big", value);
                            return null;
                        });
                    }
                    ObjectSpace space = context.getBean(ObjectSpace.class);
                    space.compact();

                    ObjectSpace.Statistics stats = space.statistics();
                    assertThat(registry.get("protobase.compaction.runs").functionCounter().count()).isEqualTo(1);
                    assertThat(registry.get("protobase.compaction.bytes.rewritten").functionCounter().count())
                            .isEqualTo(stats.compactionBytesRewritten());
                    assertThat(registry.get("protobase.compaction.segments.released").functionCounter().count())
                            .isEqualTo(stats.compactionSegmentsReleased()).isPositive();
                    assertThat(registry.get("protobase.compaction.bytes.released").functionCounter().count())
                            .isEqualTo(stats.compactionBytesReleased()).isPositive();
                });
    }

    @Test
    void countersExistFromTheStartAtZero() {
        runner().run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            for (String outcome : new String[] { "committed", "conflict", "aborted", "failed" }) {
                assertThat(transactions(registry, outcome)).isZero();
            }
            assertThat(registry.get("protobase.commit").tag("database", "default").timer().count()).isZero();
        });
    }

    @Test
    void countsCommitsConflictsAndAbortsAndMeasuresStorageAndCache() {
        runner().run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            Database db = context.getBean(Database.class);
            db.write(tx -> {
                tx.setRootObject("n", 1);
                return null;
            });
            try (Transaction aborted = db.newTransaction()) {
                aborted.setRootObject("n", 5);
            }
            Transaction loser = db.newTransaction();
            loser.setRootObject("n", (Integer) loser.getRootObject("n") + 1);
            db.write(tx -> {
                tx.setRootObject("n", 10);
                return null;
            });
            assertThatThrownBy(loser::commit).isInstanceOf(ConflictException.class);
            db.read(tx -> tx.getRootObject("n"));

            assertThat(transactions(registry, "committed")).isEqualTo(2);
            assertThat(transactions(registry, "conflict")).isEqualTo(1);
            assertThat(transactions(registry, "aborted")).isEqualTo(1);
            assertThat(transactions(registry, "failed")).isZero();
            assertThat(registry.get("protobase.commit").tag("outcome", "committed").timer().count()).isEqualTo(2);
            assertThat(registry.get("protobase.commit").tag("outcome", "conflict").timer().count()).isEqualTo(1);

            ObjectSpace.Statistics stats = context.getBean(ObjectSpace.class).statistics();
            assertThat(registry.get("protobase.storage.bytes.written").functionCounter().count())
                    .isEqualTo(stats.bytesWritten()).isPositive();
            assertThat(registry.get("protobase.storage.bytes.read").functionCounter().count())
                    .isEqualTo(stats.bytesRead());
            assertThat(registry.get("protobase.cache.hits").functionCounter().count()).isEqualTo(stats.cacheHits());
            assertThat(registry.get("protobase.cache.misses").functionCounter().count()).isEqualTo(stats.cacheMisses());
            assertThat(registry.get("protobase.cache.evictions").functionCounter().count()).isZero();
            assertThat(registry.get("protobase.cache.size").gauge().value()).isEqualTo(stats.cacheBytes());
        });
    }

    @Test
    void databaseTagsAreBounded() {
        runner().run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            ObjectSpace space = context.getBean(ObjectSpace.class);
            for (int i = 0; i < ProtoBaseMetrics.MAX_DATABASE_TAGS + 10; i++) {
                space.getDatabase("db" + i).write(tx -> {
                    tx.setRootObject("n", 1);
                    return null;
                });
            }
            long tagValues = registry.find("protobase.transactions").tag("outcome", "committed").counters().stream()
                    .map(c -> c.getId().getTag("database")).distinct().count();
            assertThat(tagValues).isEqualTo(ProtoBaseMetrics.MAX_DATABASE_TAGS + 1);
            assertThat(registry.get("protobase.transactions").tag("database", "other").tag("outcome", "committed")
                    .counter().count()).isEqualTo(11);
        });
    }

    @Test
    void applicationsWithoutMicrometerStillStart() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ProtoBaseAutoConfiguration.class,
                        ProtoBaseMetricsAutoConfiguration.class))
                .withPropertyValues("protobase.storage.file.path=" + dir)
                .withClassLoader(new FilteredClassLoader(MeterRegistry.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(ProtoBaseMetrics.class));
    }
}
