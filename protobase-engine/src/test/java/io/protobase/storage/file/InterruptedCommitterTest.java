package io.protobase.storage.file;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.Dictionary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An interrupt closes a {@code FileChannel} for every thread using it. A committer that happens to
 * be interrupted must not break the storage for everyone else.
 */
class InterruptedCommitterTest {

    @TempDir
    Path dir;

    @Test
    void anInterruptedCommitterCommitsAndLeavesTheStorageWorkingWithItsInterruptStatusKept() {
        try (ObjectSpace space = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir)))) {
            Database db = space.getDatabase("db");
            db.write(tx -> {
                tx.setRootObject("d", Dictionary.of("a", 1));
                return null;
            });

            Thread.currentThread().interrupt();
            try {
                db.write(tx -> {
                    tx.setRootObject("d", tx.getRootObject("d", Dictionary.class).setAt("b", 2));
                    return null;
                });
                assertThat(Thread.currentThread().isInterrupted()).as("interrupt status kept").isTrue();
            } finally {
                Thread.interrupted();
            }

            db.write(tx -> {
                tx.setRootObject("d", tx.getRootObject("d", Dictionary.class).setAt("c", 3));
                return null;
            });
            Dictionary d = db.read(tx -> tx.getRootObject("d", Dictionary.class));
            assertThat(d.asMap()).containsEntry("a", 1).containsEntry("b", 2).containsEntry("c", 3);
        }
        try (ObjectSpace reopened = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir)))) {
            Dictionary d = reopened.getDatabase("db").read(tx -> tx.getRootObject("d", Dictionary.class));
            assertThat(d.count()).isEqualTo(3);
        }
    }
}
