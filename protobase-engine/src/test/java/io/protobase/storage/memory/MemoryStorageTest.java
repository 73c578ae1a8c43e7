package io.protobase.storage.memory;

import io.protobase.storage.AtomPointer;
import io.protobase.storage.SharedStorage;
import io.protobase.storage.SharedStorageContract;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The storage contract on the heap backend, plus what only it promises. */
class MemoryStorageTest extends SharedStorageContract {

    @Override
    protected SharedStorage createStorage() {
        return new MemoryStorage();
    }

    @Test
    void pointersOfTwoMemoryStoragesDoNotCollide() {
        MemoryStorage other = (MemoryStorage) track(createStorage());
        AtomPointer mine = storage.push(new byte[] {1});
        AtomPointer theirs = other.push(new byte[] {1});

        assertThat(mine).isNotEqualTo(theirs);
    }

    @Test
    void bytesStoredCountsEveryPushedByte() {
        MemoryStorage memory = (MemoryStorage) storage;
        memory.push(new byte[10]);
        memory.push(new byte[0]);
        memory.push(new byte[1000]);

        assertThat(memory.bytesStored()).isEqualTo(1010);
        assertThat(memory.describe()).contains("memory").contains("1010");
    }
}
