package io.protobase.storage.file;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.ProtoBaseException;
import io.protobase.collection.Dictionary;
import io.protobase.storage.file.PowerLossFileAccess.Survival;
import io.protobase.testing.ExpectedWarnings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Statistics are what health indicators and meters read: they must answer on a storage that failed, where
 * every data call refuses with the failure.
 */
@ExpectedWarnings(value = StandaloneFileStorage.class, messages = "simulated power loss")
class FailedStorageStatisticsTest {

    @TempDir
    Path dir;

    @Test
    void statisticsOfASpaceWhoseFileStorageFailedStillAnswerWithTheStoredBytesUnknown() {
        PowerLossFileAccess access = new PowerLossFileAccess(new Random(1), Survival.DROP_UNSYNCED);
        try (ObjectSpace space = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir, access)))) {
            Database db = space.getDatabase("db");
            db.write(tx -> {
                tx.setRootObject("items", Dictionary.empty().setAt("a", 1L));
                return null;
            });
            assertThat(space.statistics().storedBytes()).as("before the failure").isPositive();

            access.powerLoss();
            assertThatThrownBy(() -> db.write(tx -> {
                tx.setRootObject("items", Dictionary.empty().setAt("b", 2L));
                return null;
            })).isInstanceOf(ProtoBaseException.class);

            ObjectSpace.Statistics stats = space.statistics();
            assertThat(stats.storedBytes()).as("segments of a failed storage").isEqualTo(-1);
            assertThat(stats.commits()).isEqualTo(1);
        }
    }
}
