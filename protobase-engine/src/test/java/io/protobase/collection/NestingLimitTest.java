package io.protobase.collection;

import io.protobase.ConflictException;
import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.Transaction;
import io.protobase.UnsupportedValueException;
import io.protobase.storage.memory.MemoryStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A value nests at most 100 levels deep (each List, DbObject, Dictionary, HashDictionary and
 * ProtoList inside another is one level). Deeper values of every shape and any depth are refused
 * with {@link UnsupportedValueException} as they are built or stored, before anything walks them:
 * never a {@code StackOverflowError} (these tests run on the default thread stack). A collection
 * stored by an earlier commit counts as one level, so chains can grow across commits.
 */
class NestingLimitTest {

    private static final int LIMIT = 100;

    private final ObjectSpace space = new ObjectSpace(new MemoryStorage());
    private final Database db = space.getDatabase("db");

    @AfterEach
    void close() {
        space.close();
    }

    /** One level of each shape around a value. */
    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of("List", (UnaryOperator<Object>) List::of),
                Arguments.of("DbObject", (UnaryOperator<Object>) v -> DbObject.of("c", v)),
                Arguments.of("DbObject from a Map", (UnaryOperator<Object>) v -> DbObject.from(Map.of("c", v))),
                Arguments.of("Dictionary", (UnaryOperator<Object>) v -> Dictionary.of("c", v)),
                Arguments.of("Dictionary from a Map", (UnaryOperator<Object>) v -> Dictionary.from(Map.of("c", v))),
                Arguments.of("HashDictionary", (UnaryOperator<Object>) v -> HashDictionary.empty().setAt("c", v)),
                Arguments.of("ProtoList", (UnaryOperator<Object>) ProtoList::of),
                Arguments.of("mixed", (UnaryOperator<Object>) new UnaryOperator<Object>() {
                    private int level;

                    @Override
                    public Object apply(Object v) {
                        return switch (level++ % 4) {
                            case 0 -> List.of(v);
                            case 1 -> DbObject.of("c", v);
                            case 2 -> Dictionary.of("c", v);
                            default -> HashDictionary.of(1, v);
                        };
                    }
                }));
    }

    static Stream<Arguments> shapesAndDepths() {
        return shapes().flatMap(s -> Stream.of(LIMIT + 1, 500, 10_000, 1_000_000)
                .map(depth -> Arguments.of(s.get()[0], s.get()[1], depth)));
    }

    private static Object nested(UnaryOperator<Object> level, int depth) {
        Object v = "leaf";
        for (int i = 0; i < depth; i++) {
            v = level.apply(v);
        }
        return v;
    }

    @ParameterizedTest(name = "{0} nested {2} deep")
    @MethodSource("shapesAndDepths")
    void valueNestedDeeperThanTheLimitIsRefusedAndNothingIsCommitted(String shape, UnaryOperator<Object> level,
            int depth) {
        assertThatThrownBy(() -> db.write(tx -> {
            tx.setRootObject("v", nested(level, depth));
            return null;
        })).isInstanceOf(UnsupportedValueException.class)
                .hasMessageContaining("more than 100 levels deep")
                .hasMessageContaining("flatten the structure");

        assertThat(db.<Object>read(tx -> tx.getRootObject("v"))).isNull();
        db.write(tx -> {
            tx.setRootObject("v", "still usable");
            return null;
        });
        assertThat(db.<Object>read(tx -> tx.getRootObject("v"))).isEqualTo("still usable");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void valueNestedExactlyToTheLimitCommitsAndReadsBack(String shape, UnaryOperator<Object> level) {
        Object atLimit = nested(level, LIMIT);
        db.write(tx -> {
            tx.setRootObject("v", atLimit);
            return null;
        });

        Object back = db.read(tx -> tx.getRootObject("v"));
        int levels = 0;
        while (!"leaf".equals(back)) {
            back = oneLevelDown(back);
            levels++;
        }
        assertThat(levels).isEqualTo(LIMIT);
    }

    private static Object oneLevelDown(Object v) {
        if (v instanceof List<?> l) {
            return l.get(0);
        }
        if (v instanceof DbObject o) {
            return o.getAt("c");
        }
        if (v instanceof Dictionary d) {
            return d.getAt("c");
        }
        if (v instanceof HashDictionary h) {
            return h.has("c") ? h.getAt("c") : h.getAt(1);
        }
        return ((ProtoList) v).getAt(0);
    }

    @Test
    void puttingAValueAtTheLimitIntoAnyContainerIsRefusedAndLeavesTheContainerUnchanged() {
        Object atLimit = nested(List::of, LIMIT);
        DbObject record = DbObject.of("id", 1);
        Dictionary dictionary = Dictionary.of("id", 1);
        HashDictionary hashDictionary = HashDictionary.of("id", 1);
        ProtoList list = ProtoList.of(1);

        assertThatThrownBy(() -> record.with("deep", atLimit)).isInstanceOf(UnsupportedValueException.class)
                .hasMessageContaining("DbObject attribute 'deep'");
        assertThatThrownBy(() -> dictionary.setAt("deep", atLimit)).isInstanceOf(UnsupportedValueException.class)
                .hasMessageContaining("Dictionary");
        assertThatThrownBy(() -> hashDictionary.setAt("deep", atLimit)).isInstanceOf(UnsupportedValueException.class)
                .hasMessageContaining("HashDictionary");
        assertThatThrownBy(() -> list.appendLast(atLimit)).isInstanceOf(UnsupportedValueException.class)
                .hasMessageContaining("ProtoList");
        assertThatThrownBy(() -> list.insertAt(0, atLimit)).isInstanceOf(UnsupportedValueException.class);
        assertThatThrownBy(() -> list.setAt(0, atLimit)).isInstanceOf(UnsupportedValueException.class);

        assertThat(record.names()).containsExactly("id");
        assertThat(dictionary.count()).isEqualTo(1);
        assertThat(hashDictionary.count()).isEqualTo(1);
        assertThat(list.asList()).containsExactly(1);
    }

    @Test
    void keysNestedTooDeepAreRefusedBeforeTheyAreHashedOrCompared() {
        Object deepList = nested(List::of, 1_000_000);
        HashDictionary hashDictionary = HashDictionary.of(List.of(1), "tuple");
        Dictionary dictionary = Dictionary.of(List.of(1), "tuple");
        ProtoSet set = ProtoSet.of(List.of(1));

        assertThatThrownBy(() -> hashDictionary.setAt(deepList, 1)).isInstanceOf(UnsupportedValueException.class);
        assertThatThrownBy(() -> hashDictionary.getAt(deepList)).isInstanceOf(UnsupportedValueException.class);
        assertThatThrownBy(() -> dictionary.setAt(deepList, 1)).isInstanceOf(UnsupportedValueException.class);
        assertThatThrownBy(() -> dictionary.has(deepList)).isInstanceOf(UnsupportedValueException.class);
        assertThatThrownBy(() -> set.add(deepList)).isInstanceOf(UnsupportedValueException.class);
        assertThatThrownBy(() -> CountedSet.empty().add(deepList)).isInstanceOf(UnsupportedValueException.class);
    }

    @Test
    void recordsAtTheLimitAreEqualHashAndOrderWithoutOverflowing() {
        Object a = nested(v -> DbObject.of("c", v), LIMIT);
        Object b = nested(v -> DbObject.of("c", v), LIMIT);
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);

        // as keys, one level less: the collection holding them is a level too
        Object keyA = nested(v -> DbObject.of("c", v), LIMIT - 1);
        Object keyB = nested(v -> DbObject.of("c", v), LIMIT - 1);
        assertThat(HashDictionary.of(keyA, "found").getAt(keyB)).isEqualTo("found");
        assertThat(Dictionary.of(keyA, 1, "other", 2).has(keyB)).isTrue();
    }

    @Test
    void aRecordWhoseDeepestAttributeIsReplacedOrRemovedCanBeNestedAgain() {
        DbObject deep = DbObject.of("deep", nested(List::of, LIMIT - 1), "id", 1);
        assertThatThrownBy(() -> DbObject.of("c", deep)).isInstanceOf(UnsupportedValueException.class);

        assertThat(DbObject.of("c", deep.with("deep", "flat")).getAt("c", DbObject.class).getAt("deep"))
                .isEqualTo("flat");
        assertThat(DbObject.of("c", deep.without("deep")).getAt("c", DbObject.class).names()).containsExactly("id");
    }

    /**
     * Commits root "chain" 101 times, each time 99 more dictionaries around the previous version held
     * in memory: a chain of 9,999 dictionaries whose links all stay in memory.
     */
    private Object commitLongChain() {
        Object chain = "leaf";
        for (int commit = 0; commit <= LIMIT; commit++) {
            Object link = nested(v -> Dictionary.of("c", v), LIMIT - 1, chain);
            db.write(tx -> {
                tx.setRootObject("chain", link);
                return null;
            });
            chain = link;
        }
        return chain;
    }

    @Test
    void collectionsStoredByEarlierCommitsCountOneLevelSoAChainGrowsAcrossCommits() {
        commitLongChain();

        Object back = db.read(tx -> tx.getRootObject("chain"));
        int levels = 0;
        while (back instanceof Dictionary d) {
            back = d.getAt("c");
            levels++;
        }
        assertThat(back).isEqualTo("leaf");
        assertThat(levels).isEqualTo((LIMIT + 1) * (LIMIT - 1));
    }

    @Test
    void aConflictingCommitOfAValueHoldingAVeryLongChainOfStoredCollectionsFailsOnlyWithTheConflict() {
        Object longChain = commitLongChain();
        db.write(tx -> {
            tx.setRootObject("counter", 0);
            return null;
        });
        Transaction refused = db.newTransaction();
        refused.setRootObject("counter", (Integer) refused.getRootObject("counter") + 1);
        refused.setRootObject("chain", Dictionary.of("c", longChain));
        db.write(tx -> {
            tx.setRootObject("counter", 10);
            return null;
        });

        // refusing it retires the nodes of its version from the cache: a walk of the whole chain in memory
        assertThatThrownBy(refused::commit).isInstanceOf(ConflictException.class);
        assertThat(db.<Object>read(tx -> tx.getRootObject("counter"))).isEqualTo(10);
        assertThat(db.<Object>read(tx -> tx.getRootObject("chain", Dictionary.class).getAt("c")))
                .isInstanceOf(Dictionary.class);
    }

    private static Object nested(UnaryOperator<Object> level, int depth, Object leaf) {
        Object v = leaf;
        for (int i = 0; i < depth; i++) {
            v = level.apply(v);
        }
        return v;
    }
}
