package io.protobase.storage.file;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.collection.CountedSet;
import io.protobase.collection.HashDictionary;
import io.protobase.collection.ProtoList;
import io.protobase.collection.RepeatedKeysDictionary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Collections other than {@code Dictionary} on the file storage, with the storage closed and
 * reopened between steps: a {@code ProtoList}, a {@code HashDictionary}, a {@code CountedSet} and a
 * {@code RepeatedKeysDictionary}, each mutated through immutable methods after being read back from
 * disk, and compared with its {@code java.util} model after every commit and every reopen.
 */
class FileStorageCollectionsProperties {

    @Property(tries = 12)
    void collectionsMatchTheirModelsAcrossCommitsAndReopens(@ForAll long seed) throws IOException {
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target", "test-storage")), "collections");
        Random rnd = new Random(seed);
        List<Integer> list = new ArrayList<>();
        Map<Object, String> hash = new HashMap<>();
        Map<Integer, Long> counts = new HashMap<>();
        TreeMap<Integer, Map<Integer, Long>> multi = new TreeMap<>();
        for (int round = 0; round < 6; round++) {
            try (ObjectSpace space = new ObjectSpace(new StandaloneFileStorage(new FileBlockProvider(dir),
                    StandaloneFileStorage.Options.defaults().withFsync(FsyncPolicy.NONE)
                            .withSegmentSize(128 * 1024)))) {
                Database db = space.getDatabase("db");
                check(db, list, hash, counts, multi, "after reopen " + round);
                for (int commit = 0; commit < 3; commit++) {
                    db.write(tx -> {
                        ProtoList l = orEmpty(tx.getRootObject("list", ProtoList.class), ProtoList.empty());
                        HashDictionary h = orEmpty(tx.getRootObject("hash", HashDictionary.class),
                                HashDictionary.empty());
                        CountedSet c = orEmpty(tx.getRootObject("counts", CountedSet.class), CountedSet.empty());
                        RepeatedKeysDictionary m = orEmpty(tx.getRootObject("multi", RepeatedKeysDictionary.class),
                                RepeatedKeysDictionary.empty());
                        for (int i = 0; i < 120; i++) {
                            int op = rnd.nextInt(8);
                            int k = rnd.nextInt(400);
                            switch (op) {
                                case 0 -> {
                                    int at = rnd.nextInt(list.size() + 1);
                                    l = l.insertAt(at, k);
                                    list.add(at, k);
                                }
                                case 1 -> {
                                    if (!list.isEmpty()) {
                                        int at = rnd.nextInt(list.size());
                                        l = l.removeAt(at);
                                        list.remove(at);
                                    }
                                }
                                case 2 -> {
                                    Object key = rnd.nextBoolean() ? (Object) ("s" + k) : List.of(k, k % 7);
                                    h = h.setAt(key, "v" + i);
                                    hash.put(key, "v" + i);
                                }
                                case 3 -> {
                                    Object key = rnd.nextBoolean() ? (Object) ("s" + k) : List.of(k, k % 7);
                                    h = h.removeAt(key);
                                    hash.remove(key);
                                }
                                case 4 -> {
                                    c = c.add(k % 50);
                                    counts.merge(k % 50, 1L, Long::sum);
                                }
                                case 5 -> {
                                    c = c.removeAt(k % 50);
                                    counts.computeIfPresent(k % 50, (x, n) -> n == 1 ? null : n - 1);
                                }
                                case 6 -> {
                                    m = m.setAt(k % 40, k % 9);
                                    multi.computeIfAbsent(k % 40, x -> new HashMap<>()).merge(k % 9, 1L, Long::sum);
                                }
                                default -> {
                                    m = m.removeRecordAt(k % 40, k % 9);
                                    Map<Integer, Long> bucket = multi.get(k % 40);
                                    if (bucket != null) {
                                        bucket.computeIfPresent(k % 9, (x, n) -> n == 1 ? null : n - 1);
                                        if (bucket.isEmpty()) {
                                            multi.remove(k % 40);
                                        }
                                    }
                                }
                            }
                        }
                        tx.setRootObject("list", l);
                        tx.setRootObject("hash", h);
                        tx.setRootObject("counts", c);
                        tx.setRootObject("multi", m);
                        return null;
                    });
                    check(db, list, hash, counts, multi, "round " + round + " commit " + commit);
                }
            }
        }
    }

    private static <T> T orEmpty(T value, T empty) {
        return value == null ? empty : value;
    }

    private static void check(Database db, List<Integer> list, Map<Object, String> hash, Map<Integer, Long> counts,
            TreeMap<Integer, Map<Integer, Long>> multi, String when) {
        db.read(tx -> {
            ProtoList l = tx.getRootObject("list", ProtoList.class);
            if (l == null) {
                assertThat(list).as(when).isEmpty();
                return null;
            }
            assertThat(l.asList()).as(when).containsExactlyElementsOf(list);
            HashDictionary h = tx.getRootObject("hash", HashDictionary.class);
            Map<Object, Object> storedHash = new HashMap<>();
            h.forEach(e -> storedHash.put(e.getKey(), e.getValue()));
            assertThat(storedHash).as(when).isEqualTo(hash);
            CountedSet c = tx.getRootObject("counts", CountedSet.class);
            Map<Object, Long> storedCounts = new HashMap<>();
            c.counts().forEachRemaining(e -> storedCounts.put(e.getKey(), e.getValue()));
            assertThat(storedCounts).as(when).isEqualTo(counts);
            assertThat(c.totalCount()).as(when).isEqualTo(counts.values().stream().mapToLong(Long::longValue).sum());
            RepeatedKeysDictionary m = tx.getRootObject("multi", RepeatedKeysDictionary.class);
            assertThat(m.count()).as(when).isEqualTo(multi.size());
            assertThat(m.keys().toList()).as(when).containsExactlyElementsOf(multi.keySet());
            for (Map.Entry<Integer, Map<Integer, Long>> e : multi.entrySet()) {
                CountedSet bucket = m.getAt(e.getKey());
                for (Map.Entry<Integer, Long> v : e.getValue().entrySet()) {
                    assertThat(bucket.getCount(v.getKey())).as(when).isEqualTo(v.getValue());
                }
                assertThat(bucket.count()).as(when).isEqualTo(e.getValue().size());
            }
            return null;
        });
    }
}
