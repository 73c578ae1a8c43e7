package io.protobase.storage.cloud;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.Dictionary;
import io.protobase.testing.S3ProxyServer;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Child JVM of {@link CloudGcKillNineTest}: commits forever to a cloud storage that uploads often
 * and collects garbage with a grace of 100 ms, overwriting one of {@link #KEYS} values per commit
 * and compacting every 10 commits, so that segments are released and their chunks deleted all the
 * time. Prints each acknowledged counter value; the parent kills it.
 */
public final class CloudGcCrashingWriterMain {

    static final int KEYS = 40;

    private CloudGcCrashingWriterMain() {
    }

    /** The value commit {@code counter} writes under key {@code counter % KEYS}. */
    static String value(long counter) {
        return "value " + counter + " " + "x".repeat(3000);
    }

    public static void main(String[] args) {
        Path cache = Path.of(args[0]);
        URI endpoint = URI.create(args[1]);
        String bucket = args[2];
        S3Client client = S3ProxyServer.clientBuilder(endpoint).build();
        CloudFileStorage storage = new CloudFileStorage(new CloudBlockProvider(new S3ObjectStore(client, bucket),
                "gc-crash/", cache, 1L << 20, 64 * 1024), CloudFileStorage.Options.defaults()
                .withUploadInterval(Duration.ofMillis(20)).withGcGrace(Duration.ofMillis(100)));
        ObjectSpace space = ObjectSpace.builder(storage).historyRetention(Duration.ZERO).compactionMinDeadBytes(0)
                .build();
        Database db = space.getDatabase("gc");
        System.out.println("ready");
        System.out.flush();
        while (true) {
            long v = db.write(tx -> {
                Object c = tx.getRootObject("counter");
                long next = (c == null ? 0 : ((Number) c).longValue()) + 1;
                Dictionary d = tx.getRootObject("data", Dictionary.class);
                tx.setRootObject("data", (d == null ? Dictionary.empty() : d).setAt("key-" + next % KEYS, value(next)));
                tx.setRootObject("counter", next);
                return next;
            });
            System.out.println(v);
            System.out.flush();
            if (v % 10 == 0) {
                space.compact();
            }
        }
    }
}
