package io.protobase.collection;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.Transaction;
import io.protobase.storage.memory.MemoryStorage;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stores the value under test as a root object and reads it back, the ways an application does.
 *
 * <p>Every object space on the storage has a 4 KiB node cache, so a tree read back is decoded from
 * its stored bytes node by node, and nodes are evicted and decoded again while it is used. A reload
 * either reuses the current object space or opens a brand-new one on the same storage (nothing in
 * memory is shared with what was written), and reads either in a read-only transaction or in a
 * write transaction that stays open: the next commit then goes through that transaction, the way
 * {@code getRootObject → change → setRootObject → commit} is written in an application.
 *
 * <p>Besides the subject, the storage holds a second root of the same database and a second
 * database; every reload checks that committing the subject never damaged them (the Python
 * reference dropped other databases from the catalog on commit).
 */
final class PersistentRoot implements AutoCloseable {

    /** How a reload reads the root back. */
    enum ReloadMode {
        SAME_SPACE(false, false),
        SAME_SPACE_WRITE_TRANSACTION(false, true),
        NEW_SPACE(true, false),
        NEW_SPACE_WRITE_TRANSACTION(true, true);

        final boolean newSpace;
        final boolean writeTransaction;

        ReloadMode(boolean newSpace, boolean writeTransaction) {
            this.newSpace = newSpace;
            this.writeTransaction = writeTransaction;
        }
    }

    static final long CACHE_BYTES = 4096;
    private static final String DB = "db";
    private static final String ROOT = "subject";
    private static final int SENTINEL_SIZE = 150;

    private final MemoryStorage storage = new MemoryStorage();
    private ObjectSpace space;
    private Database db;
    private Transaction open;

    PersistentRoot() {
        openSpace();
        db.write(tx -> {
            Dictionary.Builder b = Dictionary.builder();
            for (int i = 0; i < SENTINEL_SIZE; i++) {
                b.setAt(i, "sentinel-" + i);
            }
            tx.setRootObject("sentinel", b.build());
            return null;
        });
        space.getDatabase("other").write(tx -> {
            ProtoList.Builder b = ProtoList.builder();
            for (int i = 0; i < SENTINEL_SIZE; i++) {
                b.appendLast(i);
            }
            tx.setRootObject("list", b.build());
            return null;
        });
    }

    /**
     * Opens another object space on the same storage. The old one is left open: closing it would
     * close the shared storage, and collections read through it keep loading their nodes from it.
     */
    private void openSpace() {
        space = ObjectSpace.builder(storage).cacheBytes(CACHE_BYTES).build();
        IndexChecks.register(space);
        db = space.getDatabase(DB);
    }

    /** Commits {@code value} as the subject root: through the open write transaction if any. */
    void commit(Object value) {
        if (open != null) {
            Transaction tx = open;
            open = null;
            tx.setRootObject(ROOT, value);
            tx.commit();
        } else {
            db.write(tx -> {
                tx.setRootObject(ROOT, value);
                return null;
            });
        }
    }

    /** Reads the subject root back as {@code type}, after aborting any open transaction. */
    <T> T reload(ReloadMode mode, Class<T> type) {
        abortOpen();
        if (mode.newSpace) {
            openSpace();
        }
        checkBystanders();
        T value;
        if (mode.writeTransaction) {
            open = db.newTransaction();
            value = open.getRootObject(ROOT, type);
        } else {
            value = db.read(tx -> tx.getRootObject(ROOT, type));
        }
        assertThat(value).as("root '%s' read back (%s)", ROOT, mode).isNotNull();
        return value;
    }

    private void checkBystanders() {
        assertThat(space.listDatabases()).as("databases in the catalog").containsExactly(DB, "other");
        Dictionary sentinel = db.read(tx -> tx.getRootObject("sentinel", Dictionary.class));
        assertThat(sentinel.count()).as("entries of the untouched root 'sentinel'").isEqualTo(SENTINEL_SIZE);
        assertThat(sentinel.getAt(0)).isEqualTo("sentinel-0");
        assertThat(sentinel.getAt(SENTINEL_SIZE - 1)).isEqualTo("sentinel-" + (SENTINEL_SIZE - 1));
        ProtoList list = space.getDatabase("other").read(tx -> tx.getRootObject("list", ProtoList.class));
        assertThat(list.count()).as("elements of the root 'list' in the untouched database").isEqualTo(SENTINEL_SIZE);
        assertThat(list.getAt(-1)).isEqualTo(SENTINEL_SIZE - 1);
    }

    private void abortOpen() {
        if (open != null) {
            open.abort();
            open = null;
        }
    }

    @Override
    public void close() {
        abortOpen();
        space.close();
    }
}
