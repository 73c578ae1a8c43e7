package io.protobase.codec;

import io.protobase.CorruptionException;
import io.protobase.codec.CodecArbitraries.Color;
import io.protobase.collection.internal.AtomStore;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.collection.HashDictionary;
import io.protobase.collection.ProtoList;
import io.protobase.collection.ProtoSet;
import io.protobase.storage.AtomPointer;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stored bytes are untrusted: decoding random, truncated, bit-flipped and length-inflated input
 * either yields a value or throws {@link CorruptionException} naming the source and offset, never
 * another exception, an {@code OutOfMemoryError} or a {@code StackOverflowError}. Seeds are fixed.
 */
class AtomDecodingFuzzTest {

    private static final byte[] HEADER = {Tags.FORMAT_VERSION, Tags.ATOM_RECORD};
    private static final byte[] VALUE_TAGS = {Tags.NULL, Tags.FALSE, Tags.TRUE, Tags.INT, Tags.LONG, Tags.DOUBLE,
            Tags.BIG_DECIMAL, Tags.BIG_INTEGER, Tags.STRING, Tags.BYTES, Tags.UUID, Tags.INSTANT, Tags.LOCAL_DATE,
            Tags.LOCAL_DATE_TIME, Tags.DURATION, Tags.ENUM, Tags.LIST, Tags.POINTER, Tags.DB_OBJECT, Tags.DICTIONARY,
            Tags.HASH_DICTIONARY, Tags.PROTO_LIST, Tags.PROTO_SET, Tags.COUNTED_SET, Tags.REPEATED_KEYS_DICTIONARY};
    /** Tags followed by a varint length or count (a BigDecimal's comes after its scale). */
    private static final byte[] LENGTH_TAGS = {Tags.STRING, Tags.BYTES, Tags.BIG_DECIMAL, Tags.BIG_INTEGER, Tags.ENUM,
            Tags.LIST, Tags.DB_OBJECT, Tags.DICTIONARY, Tags.HASH_DICTIONARY, Tags.PROTO_LIST, Tags.PROTO_SET,
            Tags.COUNTED_SET, Tags.REPEATED_KEYS_DICTIONARY};
    private static final long[] HUGE = {1L << 31, (1L << 31) - 1, (1L << 32) + 1, 1L << 62, Long.MAX_VALUE, -1L,
            Long.MIN_VALUE, Integer.MAX_VALUE - 8, Tags.MAX_ATOM_BYTES + 1L};

    private final MemoryStorage storage = new MemoryStorage();
    private final AtomStore store = AtomStore.create(storage, 1 << 20);
    private final Fuzz fuzz = new Fuzz();

    @Test
    void decodingRandomBytesYieldsAValueOrCorruptionOnly() {
        Random rnd = new Random(0xF0221);
        for (int i = 0; i < 40_000; i++) {
            byte[] b = new byte[rnd.nextInt(48)];
            rnd.nextBytes(b);
            if (b.length >= 2 && i % 4 != 0) {
                b[0] = HEADER[0];
                b[1] = HEADER[1];
            }
            if (b.length >= 3 && i % 2 == 0) {
                b[2] = VALUE_TAGS[rnd.nextInt(VALUE_TAGS.length)];
            }
            fuzz.decode(b);
        }
        fuzz.assertOnlyCorruption(40_000);
    }

    @Test
    void decodingTruncatedInputThrowsCorruptionException() {
        Random rnd = new Random(0x7C0DE);
        int inputs = 0;
        for (byte[] valid : corpus(rnd, 600)) {
            // every offset of short encodings, 200 random offsets of long ones
            int offsets = Math.min(valid.length, 200);
            for (int k = 0; k < offsets; k++) {
                int cut = valid.length <= 200 ? k : rnd.nextInt(valid.length);
                fuzz.decodeExpectingCorruption(Arrays.copyOf(valid, cut));
                inputs++;
            }
        }
        assertThat(inputs).isGreaterThan(10_000);
        fuzz.assertOnlyCorruption(inputs);
    }

    @Test
    void decodingInputWithFlippedBitsYieldsAValueOrCorruptionOnly() {
        Random rnd = new Random(0xB17F11B);
        List<byte[]> corpus = corpus(rnd, 300);
        for (int i = 0; i < 40_000; i++) {
            byte[] b = corpus.get(rnd.nextInt(corpus.size())).clone();
            int flips = 1 + rnd.nextInt(3);
            for (int f = 0; f < flips; f++) {
                int at = rnd.nextInt(b.length);
                if (rnd.nextInt(4) == 0) {
                    b[at] = (byte) new int[] {0x00, 0xFF, 0x80, 0x7F, 0x01, 0xFE}[rnd.nextInt(6)];
                } else {
                    b[at] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            fuzz.decode(b);
        }
        fuzz.assertOnlyCorruption(40_000);
    }

    @Test
    void decodingHugeDeclaredLengthsThrowsCorruptionWithoutAllocating() {
        Random rnd = new Random(0x4A6E);
        int inputs = 0;
        for (byte tag : LENGTH_TAGS) {
            for (long huge : HUGE) {
                for (int filler = 0; filler <= 24; filler += 3) {
                    for (int wrap = 0; wrap < 3; wrap++) {
                        AtomWriter w = new AtomWriter(null, 64).begin(Tags.ATOM_RECORD);
                        if (wrap == 1) { // inside a list of one
                            w.writeByte(Tags.LIST);
                            w.writeVarLong(1);
                        } else if (wrap == 2) { // as the value of a record attribute
                            w.writeByte(Tags.DB_OBJECT);
                            w.writeVarLong(1);
                            w.writeString("a");
                        }
                        w.writeByte(tag);
                        if (tag == Tags.BIG_DECIMAL) {
                            w.writeZigZag(2);
                        }
                        w.writeVarLong(huge);
                        byte[] fill = new byte[filler];
                        rnd.nextBytes(fill);
                        for (byte x : fill) {
                            w.writeByte(x);
                        }
                        fuzz.decode(w.toByteArray());
                        inputs++;
                    }
                }
            }
        }
        // the length of an enum's second string
        for (long huge : HUGE) {
            AtomWriter w = new AtomWriter(null, 64).begin(Tags.ATOM_RECORD);
            w.writeByte(Tags.ENUM);
            w.writeString("com.example.E");
            w.writeVarLong(huge);
            w.writeByte('A');
            fuzz.decodeExpectingCorruption(w.toByteArray());
            inputs++;
        }
        fuzz.assertOnlyCorruption(inputs);
    }

    @Test
    void decodingOverlongVarintsThrowsCorruptionException() {
        // 10 bytes whose last one carries more than the 64th bit, then 11 to 20 bytes
        for (int len = 10; len <= 20; len++) {
            byte[] b = new byte[3 + len];
            b[0] = HEADER[0];
            b[1] = HEADER[1];
            b[2] = Tags.LONG;
            Arrays.fill(b, 3, b.length, (byte) 0xFF);
            b[b.length - 1] = 0x7F;
            fuzz.decodeExpectingCorruption(b);
        }
        fuzz.assertOnlyCorruption(11);
    }

    @Test
    void decodingDeeplyNestedInputThrowsCorruptionInsteadOfOverflowingTheStack() {
        int inputs = 0;
        for (int depth : new int[] {Tags.MAX_DEPTH + 1, 1_000, 100_000}) {
            for (int kind = 0; kind < 3; kind++) {
                AtomWriter w = new AtomWriter(null, depth * 4 + 16).begin(Tags.ATOM_RECORD);
                for (int i = 0; i < depth; i++) {
                    boolean list = kind == 0 || (kind == 2 && i % 2 == 0);
                    if (list) {
                        w.writeByte(Tags.LIST);
                        w.writeVarLong(1);
                    } else {
                        w.writeByte(Tags.DB_OBJECT);
                        w.writeVarLong(1);
                        w.writeString("a");
                    }
                }
                w.writeByte(Tags.NULL);
                fuzz.decodeExpectingCorruption(w.toByteArray());
                inputs++;
            }
        }
        fuzz.assertOnlyCorruption(inputs);
        assertThat(fuzz.corruptions()).allSatisfy(m -> assertThat(m).contains("nest deeper"));
    }

    @Test
    void decodingCorruptRecordAtomsNamesTheAtomPointer() {
        Random rnd = new Random(0x5EC0);
        List<byte[]> corpus = corpus(rnd, 100);
        int inputs = 0;
        for (int i = 0; i < 10_000; i++) {
            byte[] b = corpus.get(rnd.nextInt(corpus.size())).clone();
            if (i % 3 == 0) {
                b = Arrays.copyOf(b, rnd.nextInt(b.length));
            } else {
                b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
            }
            AtomPointer p = storage.push(b);
            fuzz.readRecord(p);
            inputs++;
        }
        fuzz.assertOnlyCorruption(inputs);
        assertThat(fuzz.corruptions()).isNotEmpty();
    }

    @Test
    void loadingDamagedTreeNodesYieldsCorruptionOnly() {
        // the root of a one-leaf tree and of a two-level tree, damaged and pushed again under new pointers
        Random rnd = new Random(0x70DE);
        int inputs = 0;
        for (int entries : new int[] {40, 300}) {
            Dictionary dict = Dictionary.empty();
            for (int i = 0; i < entries; i++) {
                dict = dict.setAt(i % 2 == 0 ? (Object) i : "k" + i, i % 3 == 0 ? List.of(i, "x") : (Object) ("v" + i));
            }
            AtomReader handle = new AtomReader(store.encodeValue(dict), "handle", null);
            handle.begin();
            assertThat(handle.readByte()).isEqualTo(Tags.DICTIONARY);
            long size = handle.readVarLong();
            assertThat(handle.readByte()).isEqualTo((byte) 1);
            byte[] root = storage.read(handle.readPointer());
            for (int i = 0; i < 4_000; i++) {
                byte[] b = root.clone();
                if (i % 4 == 0) {
                    b = Arrays.copyOf(b, rnd.nextInt(b.length));
                } else {
                    for (int f = 1 + rnd.nextInt(2); f > 0; f--) {
                        b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                    }
                }
                AtomPointer damaged = storage.push(b);
                AtomWriter w = new AtomWriter(null, 32).begin(Tags.ATOM_RECORD);
                w.writeByte(Tags.DICTIONARY);
                w.writeVarLong(size);
                w.writeByte(1);
                w.writePointer(damaged);
                // a fresh store, so nothing is cached; the handle decodes lazily, firstKey loads the nodes
                Dictionary d = (Dictionary) AtomStore.create(storage, 1 << 20).decodeValue(w.toByteArray());
                // the damaged node, or the missing child it points to, is named
                fuzz.run("atom ", d::firstKey);
                inputs++;
            }
        }
        fuzz.assertOnlyCorruption(inputs);
        assertThat(fuzz.corruptions()).hasSizeGreaterThan(inputs / 4);
    }

    // ------------------------------------------------------------------ corpus of valid encodings

    private List<byte[]> corpus(Random rnd, int n) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(store.encodeValue(randomValue(rnd, 3)));
        }
        out.add(store.encodeValue(Dictionary.of(1, "a", 2, "b")));
        out.add(store.encodeValue(DbObject.of("h", HashDictionary.of("k", 1), "l", ProtoList.of(1, 2),
                "s", ProtoSet.of("x"), "e", Dictionary.empty())));
        return out;
    }

    private static Object randomValue(Random rnd, int depth) {
        int kind = rnd.nextInt(depth > 0 ? 22 : 18);
        return switch (kind) {
            case 0 -> null;
            case 1 -> rnd.nextBoolean();
            case 2 -> rnd.nextInt() >> rnd.nextInt(32);
            case 3 -> rnd.nextLong() >> rnd.nextInt(64);
            case 4 -> rnd.nextBoolean() ? rnd.nextDouble() * 1e6 : Double.longBitsToDouble(rnd.nextLong());
            case 5 -> new BigDecimal(new BigInteger(1 + rnd.nextInt(100), rnd).subtract(BigInteger.TEN),
                    rnd.nextInt(40) - 20);
            case 6 -> new BigInteger(1 + rnd.nextInt(200), rnd).negate();
            case 7 -> randomString(rnd);
            case 8 -> {
                byte[] b = new byte[rnd.nextInt(40)];
                rnd.nextBytes(b);
                yield b;
            }
            case 9 -> new UUID(rnd.nextLong(), rnd.nextLong());
            case 10 -> Instant.ofEpochSecond(rnd.nextInt(), rnd.nextInt(1_000_000_000));
            case 11 -> LocalDate.ofEpochDay(rnd.nextInt(3_000_000) - 1_500_000);
            case 12 -> LocalDateTime.of(LocalDate.ofEpochDay(rnd.nextInt(100_000)),
                    java.time.LocalTime.ofNanoOfDay(Math.floorMod(rnd.nextLong(), 86_400_000_000_000L)));
            case 13 -> Duration.ofSeconds(rnd.nextLong() >> rnd.nextInt(64), rnd.nextInt(1_000_000_000));
            case 14 -> Color.values()[rnd.nextInt(3)];
            case 15 -> new EnumValue("com.example.E" + rnd.nextInt(5), "C" + rnd.nextInt(5));
            case 16 -> new AtomPointer(rnd.nextLong(), rnd.nextInt(1000));
            case 17 -> "";
            case 18, 19 -> {
                List<Object> l = new ArrayList<>();
                for (int i = rnd.nextInt(6); i > 0; i--) {
                    l.add(randomValue(rnd, depth - 1));
                }
                yield l;
            }
            default -> {
                TreeMap<String, Object> m = new TreeMap<>();
                for (int i = rnd.nextInt(6); i > 0; i--) {
                    m.put(randomString(rnd), randomValue(rnd, depth - 1));
                }
                yield DbObject.from(m);
            }
        };
    }

    private static String randomString(Random rnd) {
        StringBuilder sb = new StringBuilder();
        for (int i = rnd.nextInt(12); i > 0; i--) {
            int bound = switch (rnd.nextInt(4)) {
                case 0 -> 0x80;
                case 1 -> 0x800;
                case 2 -> 0xD800;
                default -> Character.MAX_CODE_POINT + 1;
            };
            int cp = rnd.nextInt(bound);
            sb.appendCodePoint(cp >= 0xD800 && cp <= 0xDFFF ? 'x' : cp);
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ the oracle

    /** Decodes inputs and records every outcome that is neither a value nor a proper corruption report. */
    private final class Fuzz {
        private final List<String> corruptions = new ArrayList<>();
        private final List<String> violations = new ArrayList<>();
        private int decoded;

        void decode(byte[] input) {
            Object value;
            try {
                value = store.decodeValue(input);
            } catch (CorruptionException e) {
                checkReport(e, input, "value");
                return;
            } catch (Throwable t) { // OutOfMemoryError and StackOverflowError included: all are bugs
                violation(input, t);
                return;
            }
            decoded++;
            // whatever decodes must encode again, and its encoding must be stable from then on
            try {
                byte[] again = store.encodeValue(value);
                assertThat(store.encodeValue(store.decodeValue(again))).isEqualTo(again);
            } catch (Throwable t) {
                violation(input, new AssertionError("decoded " + ExactValues.describe(value)
                        + " but it does not survive re-encoding: " + t, t));
            }
        }

        void decodeExpectingCorruption(byte[] input) {
            int before = decoded;
            decode(input);
            if (decoded != before) {
                violations.add("decoded a value from " + hex(input) + " which should be corrupt");
            }
        }

        void readRecord(AtomPointer p) {
            run(p.toString(), () -> store.readRecord(p));
        }

        /** Runs {@code action}, expecting nothing or a corruption report whose message contains {@code source}. */
        void run(String source, Callable<?> action) {
            try {
                action.call();
            } catch (CorruptionException e) {
                if (!e.getMessage().contains(source)) {
                    violations.add("message does not name " + source + ": " + e.getMessage());
                }
                corruptions.add(e.getMessage());
            } catch (Throwable t) {
                violations.add("reading " + source + " threw " + stackOf(t));
            }
        }

        private void checkReport(CorruptionException e, byte[] input, String source) {
            corruptions.add(e.getMessage());
            // the reader itself must detect the damage and say where; the codec's catch-all is a last resort
            if (!e.getMessage().startsWith("Corrupt " + source + " at byte ")) {
                violations.add("message does not name the source and offset: " + e.getMessage() + " for "
                        + hex(input));
            } else if (e.getCause() != null) {
                violations.add("reader let " + stackOf(e.getCause()) + " escape for " + hex(input));
            }
        }

        private void violation(byte[] input, Throwable t) {
            violations.add(hex(input) + " -> " + stackOf(t));
        }

        /** The messages of every corruption reported so far. */
        List<String> corruptions() {
            return corruptions;
        }

        void assertOnlyCorruption(int inputs) {
            assertThat(violations)
                    .as("%d of %d inputs broke the decoding contract (%d decoded, %d corrupt); first ones:%n%s",
                            violations.size(), inputs, decoded, corruptions.size(),
                            violations.stream().limit(8).collect(Collectors.joining("\n")))
                    .isEmpty();
        }

        private static String hex(byte[] b) {
            return HexFormat.of().formatHex(b, 0, Math.min(b.length, 64)) + (b.length > 64 ? "..." : "");
        }

        private static String stackOf(Throwable t) {
            StringBuilder sb = new StringBuilder(t.toString());
            StackTraceElement[] st = t.getStackTrace();
            for (int i = 0; i < Math.min(6, st.length); i++) {
                sb.append("\n    at ").append(st[i]);
            }
            return sb.toString();
        }
    }
}
