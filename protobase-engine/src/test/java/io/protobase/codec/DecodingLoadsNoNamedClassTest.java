package io.protobase.codec;

import io.protobase.collection.internal.AtomStore;
import io.protobase.collection.DbObject;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.memory.MemoryStorage;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedClass;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import static io.protobase.codec.ClassLoadingCanary.CLASS_NAME;
import static io.protobase.codec.ClassLoadingCanary.CONTROL_NAME;
import static io.protobase.codec.ClassLoadingCanary.ENUM_NAME;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A database file is untrusted input: decoding an enum constant must never load, let alone
 * initialize, the class its type name denotes. The canary classes are referenced only by name
 * (compile-time string constants), so nothing but the decoder could load them; a JFR recording of
 * class loads, a recording context class loader and the canaries' own static initializers all watch.
 */
class DecodingLoadsNoNamedClassTest {

    @TempDir
    Path tmp;

    @Test
    void decodingAnEnumNamingAnUnregisteredClassYieldsEnumValueWithoutLoadingIt() throws Exception {
        MemoryStorage storage = new MemoryStorage();
        AtomStore store = AtomStore.create(storage, 1 << 20);
        store.registerEnum(CodecArbitraries.Color.class); // an unrelated registered type is no way in
        Object written = List.of(new EnumValue(ENUM_NAME, "A"), new EnumValue(CLASS_NAME, "X"),
                DbObject.of("kind", new EnumValue(ENUM_NAME, "B")));
        byte[] bytes = store.encodeValue(written);
        AtomPointer record = store.writeRecord(written);

        RecordingClassLoader contextLoader = new RecordingClassLoader(getClass().getClassLoader());
        List<Object> decoded = new ArrayList<>();
        Set<String> loaded = classesLoadedWhile(() -> {
            Thread t = Thread.currentThread();
            ClassLoader previous = t.getContextClassLoader();
            t.setContextClassLoader(contextLoader);
            try {
                decoded.add(store.decodeValue(bytes));
                decoded.add(AtomStore.create(storage, 1 << 20).readRecord(record));
                // ordering and hashing the decoded constants must not resolve them either
                Object a = ((List<?>) decoded.get(0)).get(0);
                ValueOrder.INSTANCE.compare(a, CodecArbitraries.Color.RED);
                StableHash.of(decoded.get(0));
            } finally {
                t.setContextClassLoader(previous);
            }
            // positive control: a load in this window is seen
            Class.forName(CONTROL_NAME, false, getClass().getClassLoader());
        });

        for (Object value : decoded) {
            assertThat(value).isEqualTo(written);
            assertThat(((List<?>) value).get(0)).isExactlyInstanceOf(EnumValue.class);
        }
        assertThat(loaded).as("classes loaded while decoding").contains(CONTROL_NAME)
                .doesNotContain(ENUM_NAME, CLASS_NAME);
        assertThat(contextLoader.requested).doesNotContain(ENUM_NAME, CLASS_NAME);
        assertThat(ClassLoadingCanary.KIND_INITIALIZED).isFalse();
        assertThat(ClassLoadingCanary.PAYLOAD_INITIALIZED).isFalse();
    }

    private interface Action {
        void run() throws Exception;
    }

    /** The binary names of the classes the JVM loaded while {@code action} ran (a JFR recording). */
    private Set<String> classesLoadedWhile(Action action) throws Exception {
        try (Recording recording = new Recording()) {
            recording.enable("jdk.ClassLoad").withoutThreshold();
            recording.start();
            action.run();
            recording.stop();
            Path file = tmp.resolve("class-loads.jfr");
            recording.dump(file);
            return RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getEventType().getName().equals("jdk.ClassLoad"))
                    .map(DecodingLoadsNoNamedClassTest::loadedClassName)
                    .collect(Collectors.toSet());
        }
    }

    private static String loadedClassName(RecordedEvent e) {
        RecordedClass c = e.getClass("loadedClass");
        return c == null ? "" : c.getName();
    }

    /** A context class loader that notes every name asked of it (decoders that honour the TCCL ask it). */
    private static final class RecordingClassLoader extends ClassLoader {
        final Set<String> requested = ConcurrentHashMap.newKeySet();

        RecordingClassLoader(ClassLoader parent) {
            super(parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            requested.add(name);
            return super.loadClass(name, resolve);
        }
    }
}
