package io.protobase.storage.file;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.Dictionary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

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

    /**
     * close() sets its closed flag before it flushes, fsyncs and writes the close record; the channel
     * reopen of {@code io()} must still work for those, or a close by an interrupted thread (a
     * shutdown after {@code shutdownNow()}) skips the final fsync of fsync=none/interval commits and
     * leaves the preallocated zeros and no close record behind. The manifest written after the close record must
     * survive the
     * interrupt too, or the next open cannot tell a truncated log from a torn tail.
     */
    @Test
    void aCloseByAnInterruptedThreadStillMakesEverythingDurableAndEndsTheLogWithItsCloseRecord() throws Exception {
        PowerLossFileAccess access = new PowerLossFileAccess(new Random(1), PowerLossFileAccess.Survival.DROP_UNSYNCED);
        ObjectSpace space = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir, access),
                StandaloneFileStorage.Options.defaults().withFsync(FsyncPolicy.NONE)));
        space.getDatabase("db").write(tx -> {
            tx.setRootObject("d", Dictionary.of("a", 1));
            return null;
        });
        Thread.currentThread().interrupt();
        try {
            space.close();
            assertThat(Thread.currentThread().isInterrupted()).as("interrupt status kept").isTrue();
        } finally {
            Thread.interrupted();
        }

        Path segment = WalFiles.lastSegment(dir);
        List<WalFiles.Rec> recs = WalFiles.records(segment);
        WalFiles.Rec last = recs.get(recs.size() - 1);
        assertThat(last.kind()).as("the log ends with a close record").isEqualTo(WalFormat.KIND_CLOSE);
        assertThat(Files.size(segment)).as("no zeros after the close record").isEqualTo(last.end());

        Path image = dir.resolveSibling(dir.getFileName() + "-after-power-loss");
        access.writeImage(image);
        LogManifest manifest = LogManifest.read(new FileBlockProvider(image));
        try {
            assertThat(manifest.current()).as("the manifest of the image").isNotNull();
            assertThat(manifest.current().state()).as("the manifest records the clean close")
                    .isEqualTo(LogManifest.State.CLOSED);
        } finally {
            manifest.close();
        }
        try (ObjectSpace reopened = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(image)))) {
            Dictionary d = reopened.getDatabase("db").read(tx -> tx.getRootObject("d", Dictionary.class));
            assertThat(d).as("the commit a clean close made durable").isNotNull();
            assertThat(d.asMap()).containsEntry("a", 1);
        }
    }
}
