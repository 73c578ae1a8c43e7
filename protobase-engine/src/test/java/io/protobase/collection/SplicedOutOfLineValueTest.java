package io.protobase.collection;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.index.IndexDefinition;
import io.protobase.index.SecondaryIndex;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A leaf entry holding a value stored out of line, copied unchanged into the next version of its node
 * (spliced from the base's atom), keeps its reference: the value reads back whole, from this space and
 * from a fresh one, whether the chunks are in the segment being written or in an older one.
 */
class SplicedOutOfLineValueTest {

    private static void editAcrossSegments(long segmentBytes) {
        editAcrossSegments(segmentBytes, "large".repeat(300));
    }

    private static void editAcrossSegments(long segmentBytes, Object large) {
        MemoryStorage memory = new MemoryStorage(segmentBytes);
        Database db = new ObjectSpace(memory).getDatabase("db");
        // the application keeps the list it committed and edits it: the leaf's copy holds the same String
        ProtoList[] list = {ProtoList.of(1, large, 2)};
        for (int i = 0; i < 4; i++) {
            if (i > 0) {
                list[0] = list[0].appendLast(9 + i);
            }
            db.write(tx -> {
                tx.setRootObject("list", list[0]);
                return null;
            });
        }
        ProtoList back = new ObjectSpace(memory).getDatabase("db").read(tx -> (ProtoList) tx.getRootObject("list"));
        assertThat((Iterable<Object>) back).containsExactly(1, large, 2, 10, 11, 12);
    }

    @Test
    void outOfLineValueInTheSegmentBeingWritten() {
        editAcrossSegments(MemoryStorage.DEFAULT_SEGMENT_BYTES);
    }

    @Test
    void outOfLineValueInAnOlderSegment() {
        editAcrossSegments(64);
    }

    @Test
    void recordWithAnOutOfLineAttributeInAnOlderSegment() {
        editAcrossSegments(64, DbObject.of("a", 1, "text", "large".repeat(300)));
    }

    /**
     * One record in two entries of a node: the copied entry keeps the reference it was stored under,
     * while the entry written afresh pushes the record's large attribute again (its chunks lie in an
     * older segment). Both references are valid, and both entries read back whole.
     */
    @Test
    void recordCopiedBesideItsOwnFreshCopyAcrossSegments() {
        MemoryStorage memory = new MemoryStorage(64);
        Database db = new ObjectSpace(memory).getDatabase("db");
        DbObject record = DbObject.of("a", 1, "text", "large".repeat(300));
        ProtoList[] list = {ProtoList.of(record, 2)};
        for (int i = 0; i < 3; i++) {
            if (i > 0) {
                list[0] = list[0].appendLast(record);
            }
            db.write(tx -> {
                tx.setRootObject("list", list[0]);
                return null;
            });
        }
        ProtoList back = new ObjectSpace(memory).getDatabase("db").read(tx -> (ProtoList) tx.getRootObject("list"));
        assertThat((Iterable<Object>) back).containsExactly(record, 2, record, record);
    }

    /**
     * One record twice in a new node, its large attribute pushed for the first entry and pushed again
     * for the third (the large value between them filled the segment, so the first reference lies in an
     * older one): the node holds two valid references for one object, and later copies keep both.
     */
    @Test
    void recordWrittenTwiceInANodeAcrossASegmentBoundaryThenCopied() {
        MemoryStorage memory = new MemoryStorage(64);
        Database db = new ObjectSpace(memory).getDatabase("db");
        DbObject record = DbObject.of("a", 1, "text", "large".repeat(300));
        String between = "between".repeat(300);
        ProtoList[] list = {ProtoList.of(record, between, record)};
        for (int i = 0; i < 3; i++) {
            if (i > 0) {
                list[0] = list[0].appendLast(i);
            }
            db.write(tx -> {
                tx.setRootObject("list", list[0]);
                return null;
            });
        }
        ProtoList back = new ObjectSpace(memory).getDatabase("db").read(tx -> (ProtoList) tx.getRootObject("list"));
        assertThat((Iterable<Object>) back).containsExactly(record, between, record, 1, 2);
    }

    @Test
    void outOfLineValueReadAfterAReopen() {
        MemoryStorage memory = new MemoryStorage();
        String large = "large".repeat(300);
        new ObjectSpace(memory).getDatabase("db").write(tx -> {
            tx.setRootObject("list", ProtoList.of(1, large, 2));
            return null;
        });
        // another space reads the value (its leaf now holds the decoded String, which this space never stored)
        Database db = new ObjectSpace(memory).getDatabase("db");
        ProtoList[] list = {db.read(tx -> (ProtoList) tx.getRootObject("list"))};
        assertThat(list[0].getAt(1)).isEqualTo(large);
        db.write(tx -> {
            tx.setRootObject("list", list[0].appendLast(3));
            return null;
        });
        ProtoList back = new ObjectSpace(memory).getDatabase("db").read(tx -> (ProtoList) tx.getRootObject("list"));
        assertThat((Iterable<Object>) back).containsExactly(1, large, 2, 3);
    }

    /**
     * An index keyed by whole records ({@code self}) holds the record's large attribute out of line in
     * its entry's key. A second dictionary key with the same record, committed in a later segment, adds
     * a second index entry beside the first in the same leaf: the new entry's key pushes the attribute
     * again, while the copied entry keeps the reference it was stored with. Both references are valid:
     * the commit succeeds, and both entries read back whole from a fresh space.
     */
    @Test
    void indexEntryKeyedByARecordCopiedBesideANewEntryWithTheSameRecordAcrossSegments() {
        MemoryStorage memory = new MemoryStorage(64);
        ObjectSpace space = new ObjectSpace(memory).registerIndexExtractor("self", v -> v);
        Database db = space.getDatabase("db");
        DbObject record = DbObject.of("n", 1, "blob", "large".repeat(300));
        HashDictionary one = HashDictionary.empty().withIndex(IndexDefinition.byExtractor("self", v -> v))
                .setAt(1, record);
        db.write(tx -> {
            tx.setRootObject("d", one);
            return null;
        });
        HashDictionary two = one.setAt(2, record);
        db.write(tx -> {
            tx.setRootObject("d", two);
            return null;
        });

        ObjectSpace fresh = new ObjectSpace(memory).registerIndexExtractor("self", v -> v);
        HashDictionary back = fresh.getDatabase("db").read(tx -> tx.getRootObject("d", HashDictionary.class));
        SecondaryIndex self = back.indexes().get("self");
        assertThat(self.count(record)).isEqualTo(2);
        assertThat(self.lookup(record)).containsExactly(record, record);
        assertThat(back.getAt(1)).isEqualTo(record);
        assertThat(back.getAt(2)).isEqualTo(record);
    }
}
