/**
 * JMH benchmarks of ProtoBase side by side with H2's MVStore on the same data: in memory (the classes
 * below) and on files ({@code File*} classes: ProtoBase's {@code StandaloneFileStorage} against an MVStore
 * file, with durable commits; {@link io.protobase.benchmarks.DiskFootprint} prints bytes on disk). The file
 * benchmarks also hold an {@code eclipsestore…} method: EclipseStore 2.1.3, whose {@code store()} does not fsync,
 * with and without a writer of ours that forces every write (an emulation of a durable store, see
 * {@link io.protobase.benchmarks.FileStores.EclipseStoreFile}).
 *
 * <p>Every benchmark class holds one {@code protobase…} and one {@code mvstore…} method (plus, for point
 * reads, a ProtoBase variant that opens one read-only transaction per lookup), so their results sit next
 * to each other. The data set is {@link io.protobase.benchmarks.Dataset}: {@code size} entries (default
 * 1,000,000, {@code -p size=…} to change) from {@code "key-0000001"} to a small record with an {@code int}
 * id, a {@code String} name and a {@code double} price — a {@code DbObject} in ProtoBase, an
 * {@code Object[] {id, name, price}} in an {@code MVMap<String, Object[]>} with MVStore's default data
 * types. Keys are inserted in a random order from a fixed seed.
 *
 * <ul>
 *   <li>{@link io.protobase.benchmarks.BuildBenchmark}: build the whole map in one transaction / one commit
 *       (single shot, ms);</li>
 *   <li>{@link io.protobase.benchmarks.PointReadBenchmark}: random point reads of a prebuilt map (ops/s);</li>
 *   <li>{@link io.protobase.benchmarks.UpdateBenchmark}: 10,000 one-key update transactions on a prebuilt
 *       map (single shot, µs per update);</li>
 *   <li>{@link io.protobase.benchmarks.ScanBenchmark}: a full ordered scan summing a field (ms).</li>
 * </ul>
 * {@link io.protobase.benchmarks.BackupBenchmark} is a measured program rather than a JMH benchmark: an
 * online backup of the data set while 8 threads commit, against {@code cp -r} of the store.
 *
 * <p>{@link io.protobase.benchmarks.ClusterCommitBenchmark} runs the durable one-key commit of the file benchmarks on
 * three cluster nodes (Apache Ratis) on 127.0.0.1 beside the single-node file store, from 1 and 8 threads;
 * {@link io.protobase.benchmarks.ClusterCommitLatency}, a program, measures failover (the leader's JVM killed with
 * SIGKILL), a rolling restart and the catch-up of a new node ({@code docs/cluster.md}, "Benchmarks").
 *
 * <h2>Space</h2>
 * Three plain programs (a {@code main}, not JMH: each figure is one long measured run, not a rate sampled in
 * iterations) measure what issue 13, "Reclaim space", changes, so that every step of it is measured the same
 * way: {@link io.protobase.benchmarks.WriteAmplification} (bytes written per one-key commit beside large values
 * and on 100,000 small records, ProtoBase and MVStore), {@link io.protobase.benchmarks.DiskGrowth} (a store's
 * size after many one-key commits against a fresh load of the same content, on files and in a bucket),
 * {@link io.protobase.benchmarks.CommitLatency} (throughput and p99 of one-key commits from 1 and 8 threads, with
 * a named place for the background work that will run beside them). They take {@code name=value} arguments
 * ({@link io.protobase.benchmarks.MainArgs}); {@code docs/performance.md} has the commands and the baseline.
 *
 * <h2>What is compared</h2>
 * ProtoBase runs on {@code MemoryStorage}, which <em>encodes</em> every node it stores (and copies the
 * bytes on push and read), as a persistent backend would; a committed tree stays decoded on the heap, so
 * reads and scans of it do not decode. {@code MVStore.open(null)} is a pure in-memory store: it never
 * serializes pages and its commit only closes a version. The build and update figures therefore include
 * encoding work on ProtoBase's side that MVStore does not do in this mode. Neither side is durable.
 *
 * <h2>Running</h2>
 * <pre>
 * ./mvnw -B -q package -DskipTests -pl protobase-benchmarks -am
 * java -jar protobase-benchmarks/target/benchmarks.jar                     # everything, a few minutes
 * java -jar protobase-benchmarks/target/benchmarks.jar PointRead -prof gc  # one class, with allocation rates
 * java -jar protobase-benchmarks/target/benchmarks.jar -p size=100000      # a smaller data set
 * </pre>
 * Each benchmark forks once with a fixed 4 GB heap ({@code -Xms4g -Xmx4g}).
 */
package io.protobase.benchmarks;
