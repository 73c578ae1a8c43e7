package io.protobase.storage.cloud;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.testing.S3ProxyServer;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Child JVM of {@link CloudKillNineTest}: opens a cloud storage in {@code async} mode on the given
 * cache directory and S3 endpoint, with an upload interval so long that commits stay pending, then
 * increments a counter root forever, printing each acknowledged value. The parent kills it.
 */
public final class CloudCrashingWriterMain {

    private CloudCrashingWriterMain() {
    }

    public static void main(String[] args) {
        Path cache = Path.of(args[0]);
        URI endpoint = URI.create(args[1]);
        String bucket = args[2];
        S3Client client = S3ProxyServer.clientBuilder(endpoint).build();
        CloudFileStorage storage = new CloudFileStorage(new CloudBlockProvider(new S3ObjectStore(client, bucket),
                "crash/", cache, 64L << 20, 64 * 1024),
                CloudFileStorage.Options.defaults().withUploadInterval(Duration.ofHours(1)));
        Database db = new ObjectSpace(storage).getDatabase("counter");
        System.out.println("ready");
        System.out.flush();
        while (true) {
            long v = db.write(tx -> {
                Object c = tx.getRootObject("counter");
                long next = (c == null ? 0 : ((Number) c).longValue()) + 1;
                tx.setRootObject("counter", next);
                tx.setRootObject("padding", "x".repeat(2000) + next);
                return next;
            });
            System.out.println(v);
            System.out.flush();
        }
    }
}
