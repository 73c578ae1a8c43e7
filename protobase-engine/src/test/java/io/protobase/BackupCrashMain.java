package io.protobase;

import io.protobase.collection.Dictionary;
import io.protobase.storage.memory.MemoryStorage;

import java.nio.file.Path;

/**
 * Child JVM of {@link BackupKillNineTest}: fills a memory space with {@code entries} entries
 * ({@code key i -> "value-" + i} in root "data" of database "db"), prints {@code ready}, backs it
 * up to the target directory, prints {@code done}, then waits on its standard input to be killed.
 */
public final class BackupCrashMain {

    private BackupCrashMain() {
    }

    public static void main(String[] args) throws Exception {
        Path target = Path.of(args[0]);
        int entries = Integer.parseInt(args[1]);
        ObjectSpace space = new ObjectSpace(new MemoryStorage());
        space.getDatabase("db").write(tx -> {
            Dictionary.Builder b = Dictionary.builder();
            for (int i = 0; i < entries; i++) {
                b.setAt(i, "value-" + i);
            }
            tx.setRootObject("data", b.build());
            return null;
        });
        System.out.println("ready");
        System.out.flush();
        space.backup(target);
        System.out.println("done");
        System.out.flush();
        System.in.read();
    }
}
