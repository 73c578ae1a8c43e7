package io.protobase.benchmarks;

import io.protobase.benchmarks.repository.CustomerQueries;
import io.protobase.benchmarks.repository.RepositoryStores;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Spring Data repositories side by side: ProtoBase ({@code protobase}, in-memory object space)
 * and Spring Data JPA with Hibernate on in-memory H2 ({@code jpa}), same entity class, same
 * repository methods, each call outside {@code @Transactional} (one transaction per call).
 * <ul>
 *   <li>{@code save100k}: 100,000 new entities (generated ids) saved with {@code saveAll} in
 *       batches of 1,000, one transaction per batch, into an empty store; one shot per iteration;</li>
 *   <li>{@code findById}: random ids of 100,000 stored entities;</li>
 *   <li>{@code findByCityIndexed}: {@code findByCity}, an indexed property, 1% selectivity
 *       (1,000 of 100,000 entities read and materialized);</li>
 *   <li>{@code findBySegmentUnindexed}: {@code findBySegment}, the same selectivity without index;</li>
 *   <li>{@code findByCityProjected}: {@code findByCity} again, returning a closed interface projection
 *       (name and age) instead of the entity: ProtoBase reads the two attributes from each stored
 *       record without creating the entity, JPA selects the two columns.</li>
 * </ul>
 */
@Fork(value = 1, jvmArgsAppend = { "-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch" })
public class RepositoryBenchmark {

    static final int TOTAL = 100_000;
    static final int BATCH = 1_000;

    /** An empty store per iteration, for the save benchmark. */
    @State(Scope.Benchmark)
    public static class EmptyStore {
        @Param({ "protobase", "jpa" })
        public String store;
        AnnotationConfigApplicationContext context;
        CustomerQueries repository;
        long seed;

        @Setup(Level.Iteration)
        public void start() {
            context = RepositoryStores.start(store);
            repository = RepositoryStores.repository(context);
            seed++;
        }

        @TearDown(Level.Iteration)
        public void stop() {
            RepositoryStores.stop(context);
        }
    }

    /** A store holding 100,000 entities, for the reads. */
    @State(Scope.Benchmark)
    public static class LoadedStore {
        @Param({ "protobase", "jpa" })
        public String store;
        AnnotationConfigApplicationContext context;
        CustomerQueries repository;
        long[] ids;

        @Setup(Level.Trial)
        public void load() {
            context = RepositoryStores.start(store);
            repository = RepositoryStores.repository(context);
            ids = RepositoryStores.load(repository, TOTAL, BATCH, 42);
            int n = repository.findByCity("city7").size();
            if (n < 800 || n > 1200 || repository.findBySegment("segment7").size() < 800
                    || repository.findProjectedByCity("city7").size() != n) {
                throw new IllegalStateException("unexpected selectivity: " + n);
            }
        }

        @TearDown(Level.Trial)
        public void stop() {
            RepositoryStores.stop(context);
        }
    }

    /** Per-thread randomness. */
    @State(Scope.Thread)
    public static class Dice {
        final SplittableRandom random = new SplittableRandom(7);
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2)
    @Measurement(iterations = 5)
    public long save100k(EmptyStore s) {
        return RepositoryStores.load(s.repository, TOTAL, BATCH, s.seed).length;
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 2, time = 2)
    @Measurement(iterations = 3, time = 3)
    public Object findById(LoadedStore s, Dice d) {
        return s.repository.findById(s.ids[d.random.nextInt(s.ids.length)]).orElseThrow();
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2, time = 2)
    @Measurement(iterations = 3, time = 3)
    public List<?> findByCityIndexed(LoadedStore s, Dice d) {
        return s.repository.findByCity("city" + d.random.nextInt(RepositoryStores.CITIES));
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2, time = 2)
    @Measurement(iterations = 3, time = 3)
    public List<?> findByCityProjected(LoadedStore s, Dice d) {
        return s.repository.findProjectedByCity("city" + d.random.nextInt(RepositoryStores.CITIES));
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 2, time = 2)
    @Measurement(iterations = 3, time = 3)
    public List<?> findBySegmentUnindexed(LoadedStore s, Dice d) {
        return s.repository.findBySegment("segment" + d.random.nextInt(RepositoryStores.CITIES));
    }
}
