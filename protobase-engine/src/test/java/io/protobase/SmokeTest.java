package io.protobase;

import io.protobase.collection.Dictionary;
import io.protobase.collection.ProtoList;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class SmokeTest {

    @Test
    void dictionaryMatchesTreeMapAcrossCommits() {
        try (ObjectSpace space = new ObjectSpace(new MemoryStorage())) {
            Database db = space.getDatabase("db");
            TreeMap<Integer, String> model = new TreeMap<>();
            Random rnd = new Random(1);
            for (int round = 0; round < 20; round++) {
                db.write(tx -> {
                    Dictionary d = tx.getRootObject("d", Dictionary.class);
                    if (d == null) {
                        d = Dictionary.empty();
                    }
                    for (int i = 0; i < 500; i++) {
                        int k = rnd.nextInt(3000);
                        if (rnd.nextInt(3) == 0) {
                            d = d.removeAt(k);
                            model.remove(k);
                        } else {
                            d = d.setAt(k, "v" + i);
                            model.put(k, "v" + i);
                        }
                    }
                    tx.setRootObject("d", d);
                    return null;
                });
                Dictionary d = db.read(tx -> tx.getRootObject("d", Dictionary.class));
                assertThat(d.count()).isEqualTo(model.size());
                List<Object> keys = new ArrayList<>();
                d.keys().forEach(keys::add);
                assertThat(keys).containsExactlyElementsOf(model.keySet());
                for (Map.Entry<Integer, String> e : model.entrySet()) {
                    assertThat(d.getAt(e.getKey())).isEqualTo(e.getValue());
                }
            }
        }
    }

    @Test
    void listMatchesArrayList() {
        Random rnd = new Random(2);
        List<Object> model = new ArrayList<>();
        ProtoList l = ProtoList.empty();
        for (int i = 0; i < 20000; i++) {
            int op = rnd.nextInt(4);
            if (op == 0 || model.isEmpty()) {
                int at = rnd.nextInt(model.size() + 1);
                l = l.insertAt(at, i);
                model.add(at, i);
            } else if (op == 1) {
                int at = rnd.nextInt(model.size());
                l = l.removeAt(at);
                model.remove(at);
            } else if (op == 2) {
                l = l.appendLast(i);
                model.add(i);
            } else {
                int at = rnd.nextInt(model.size());
                l = l.setAt(at, -i);
                model.set(at, -i);
            }
        }
        assertThat(l.asList()).containsExactlyElementsOf(model);
        assertThat(l.slice(100, 5000).asList()).containsExactlyElementsOf(model.subList(100, 5000));
    }
}
