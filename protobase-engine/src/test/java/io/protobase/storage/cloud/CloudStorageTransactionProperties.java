package io.protobase.storage.cloud;

import io.protobase.testing.ExpectedWarnings;
import io.protobase.testing.S3ProxyBucket;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.Dictionary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Transactions on the cloud storage against a {@code TreeMap} model: random puts and removes in a
 * root {@code Dictionary}, committed in several transactions, checked after every commit and after
 * reopening — alternately on the same cache directory and on an empty one (reading the bucket
 * alone) — on {@link MockS3Client} with random 503s on uploads and on S3Proxy over HTTP.
 */
@ExpectedWarnings(value = CloudFileStorage.class, messages = {"retrying with back-off", "is not the history of"})
class CloudStorageTransactionProperties {

    private static final S3ProxyBucket S3 = new S3ProxyBucket();

    @BeforeContainer
    static void startServer() {
        S3.start();
    }

    @AfterContainer
    static void stopServer() {
        S3.close();
    }

    @Property(tries = 10)
    void dictionaryMatchesItsModelOnMockS3WithFaults(@ForAll long seed) throws IOException {
        MockS3Client s3 = new MockS3Client();
        // uploads retry; reads surface a failure to the caller (the SDK's retry is what absorbs those)
        s3.setErrorRate(0.05, java.util.EnumSet.of(MockS3Client.Operation.PUT));
        run(seed, s3, CloudFileStorage.Durability.ASYNC);
    }

    @Property(tries = 3)
    void dictionaryMatchesItsModelOnARealS3Server(@ForAll long seed) throws IOException {
        run(seed, new S3ObjectStore(S3.client(), S3.bucket()), CloudFileStorage.Durability.SYNC);
    }

    private static void run(long seed, ObjectStore store, CloudFileStorage.Durability durability) throws IOException {
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target", "test-storage")), "cloud-tx");
        String prefix = "p" + seed + "-" + System.nanoTime() + "/";
        Random rnd = new Random(seed);
        TreeMap<String, Integer> model = new TreeMap<>();
        for (int round = 0; round < 4; round++) {
            Path cache = dir.resolve(round % 2 == 0 ? "cache" : "fresh-" + round);
            CloudFileStorage storage = new CloudFileStorage(new CloudBlockProvider(store, prefix, cache, 256 * 1024,
                    64 * 1024), CloudFileStorage.Options.defaults().withDurability(durability)
                    .withUploadInterval(Duration.ofMillis(20)).withCommitTimeout(Duration.ofSeconds(60)));
            try (ObjectSpace space = new ObjectSpace(storage)) {
                Database db = space.getDatabase("db");
                check(db, model, "after reopen " + round);
                for (int commit = 0; commit < 3; commit++) {
                    TreeMap<String, Integer> next = new TreeMap<>(model);
                    long opSeed = rnd.nextLong();
                    db.write(tx -> {
                        Random ops = new Random(opSeed);
                        TreeMap<String, Integer> m = new TreeMap<>(model);
                        Dictionary d = tx.getRootObject("d", Dictionary.class);
                        if (d == null) {
                            d = Dictionary.empty();
                        }
                        for (int i = 0; i < 150; i++) {
                            String k = "k" + ops.nextInt(500);
                            if (ops.nextInt(4) == 0) {
                                d = d.removeAt(k);
                                m.remove(k);
                            } else {
                                int v = ops.nextInt();
                                d = d.setAt(k, v);
                                m.put(k, v);
                            }
                        }
                        tx.setRootObject("d", d);
                        next.clear();
                        next.putAll(m);
                        return null;
                    });
                    model.clear();
                    model.putAll(next);
                    check(db, model, "round " + round + " commit " + commit);
                }
            }
        }
    }

    private static void check(Database db, Map<String, Integer> model, String when) {
        db.read(tx -> {
            Dictionary d = tx.getRootObject("d", Dictionary.class);
            if (model.isEmpty()) {
                assertThat(d == null || d.count() == 0).as(when).isTrue();
                return null;
            }
            assertThat(d.count()).as(when).isEqualTo(model.size());
            TreeMap<String, Integer> seen = new TreeMap<>();
            d.stream().forEach(e -> seen.put((String) e.getKey(), (Integer) e.getValue()));
            assertThat(seen).as(when).isEqualTo(model);
            return null;
        });
    }
}
