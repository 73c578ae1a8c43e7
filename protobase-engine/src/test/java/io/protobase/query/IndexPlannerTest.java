package io.protobase.query;

import io.protobase.collection.DbObject;
import io.protobase.index.IndexDefinition;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which plans the optimizer picks over an indexed collection, what explain() says, and that it never executes. */
class IndexPlannerTest {

    /** 1000 records: category c0..c99 (1% each), price 0..999, a tag list. */
    static List<Object> records() {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            out.add(DbObject.of("id", i, "category", "c" + (i % 100), "price", i, "tags", List.of("t" + (i % 3))));
        }
        return out;
    }

    final ListIndexedCollection products = new ListIndexedCollection(records(), IndexDefinition.onField("category"),
            IndexDefinition.onField("price"), IndexDefinition.byExtractor("tag", r -> ((DbObject) r).getAt("tags")));

    @Test
    void explainShowsAnIndexLookupForIndexedEqualityWithoutExecuting() {
        Explanation e = Query.from(products).where(Field.of("category").eq("c7")).explain();
        assertThat(e.operator()).isEqualTo("IndexLookup");
        assertThat(e.access()).isEqualTo(Explanation.Access.INDEX);
        assertThat(e.details()).containsEntry("index", "category").containsEntry("keys", "['c7']");
        assertThat(e.estimatedRows()).isEqualTo(10);
        assertThat(e.toText()).startsWith("IndexLookup INDEX [index=category, keys=['c7']");
        assertThat(products.scans).isZero();
        assertThat(products.index("category").recordsRead).isZero();
    }

    @Test
    void explainShowsAScanForAnUnindexedFieldAndSaysWhy() {
        Explanation e = Query.from(products).where(Field.of("id").eq(3)).explain();
        assertThat(e.operator()).isEqualTo("Where");
        assertThat(e.usesIndex()).isFalse();
        assertThat(e.usesScan()).isTrue();
        assertThat(e.details()).containsEntry("reason", "no index answers this filter");
        assertThat(e.inputs().get(0).estimatedRows()).isEqualTo(1000);
    }

    @Test
    void lambdasAreNeverPushedIntoIndexes() {
        Explanation e = Query.from(products).where(r -> "c7".equals(((DbObject) r).getAt("category"))).explain();
        assertThat(e.usesIndex()).isFalse();
        assertThat(e.details()).containsEntry("reason", "lambda filters are evaluated on every record");
    }

    @Test
    void andDrivesFromTheSmallestIndexResultAndFiltersTheRest() {
        Query q = Query.from(products).where(Field.of("price").lt(500).and(Field.of("category").eq("c7"))
                .and(Field.of("id").ne(7)));
        Explanation e = q.explain();
        assertThat(e.operator()).isEqualTo("Where");
        assertThat(e.details().get("filter")).isEqualTo("(price < 500 AND id != 7)");
        assertThat(e.inputs().get(0).details()).containsEntry("index", "category");
        assertThat(q.toList()).extracting(r -> ((DbObject) r).getAt("id")).containsExactly(107, 207, 307, 407);
        assertThat(products.scans).isZero();
        assertThat(products.index("category").recordsRead).isEqualTo(10);
    }

    @Test
    void rangesUseAnOrderedIndexScanWithinTheBoundsTypeGroup() {
        Query q = Query.from(products).where(Field.of("price").between(10, 13, Bounds.CLOSED_OPEN));
        assertThat(q.explain().toText()).startsWith("IndexRange INDEX [index=price, range=[10, 13)");
        assertThat(q.toList()).extracting(r -> ((DbObject) r).getAt("price")).containsExactly(10, 11, 12);
        assertThat(Query.from(products).where(Field.of("price").gt("a")).count()).isZero();
    }

    @Test
    void inBecomesOneLookupOfSeveralKeysAndEqualKeysOfDifferentTypesCountOnce() {
        Query q = Query.from(products).where(Field.of("price").in(5, 5L, 5.0, 6, null));
        assertThat(q.explain().details()).containsEntry("keys", "[5, 6]");
        assertThat(q.count()).isEqualTo(2);
    }

    @Test
    void orOfIndexableBranchesIsAUnionWithoutDuplicates() {
        Query q = Query.from(products).where(Field.of("category").eq("c1").or(Field.of("price").lt(20)));
        assertThat(q.explain().operator()).isEqualTo("IndexUnion");
        assertThat(q.toList()).extracting(r -> ((DbObject) r).getAt("id"))
                .containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
                        101, 201, 301, 401, 501, 601, 701, 801, 901);
    }

    @Test
    void orWithAnUnindexableBranchScans() {
        Query q = Query.from(products).where(Field.of("category").eq("c1").or(Field.of("id").eq(5)));
        assertThat(q.explain().usesIndex()).isFalse();
        assertThat(q.count()).isEqualTo(11);
    }

    @Test
    void unionKeepsEachCopyOfARepeatedListElement() {
        DbObject twice = DbObject.of("a", 1, "b", 2);
        List<Object> data = new ArrayList<>(List.of(twice, twice));
        for (int i = 3; i < 30; i++) {
            data.add(DbObject.of("a", i, "b", i));
        }
        ListIndexedCollection c = new ListIndexedCollection(data, IndexDefinition.onField("a"),
                IndexDefinition.onField("b"));
        Query q = Query.from(c).where(Field.of("a").eq(1).or(Field.of("b").eq(2)));
        assertThat(q.explain().usesIndex()).isTrue();
        assertThat(q.toList()).containsExactly(twice, twice);
    }

    @Test
    void countComesFromIndexCountsWithoutLoadingRecords() {
        assertThat(Query.from(products).where(Field.of("category").in("c1", "c2")).count()).isEqualTo(20);
        assertThat(Query.from(products).where(Field.of("price").ge(990)).count()).isEqualTo(10);
        assertThat(products.scans).isZero();
        assertThat(products.index("category").recordsRead).isZero();
        assertThat(products.index("price").recordsRead).isZero();
        assertThat(new CountPlan(Query.from(products).where(Field.of("price").ge(990)).optimizedPlan()).explain()
                .estimatedCost()).isLessThan(100);
    }

    @Test
    void aScanIsChosenWhenTheIndexWouldReadMostOfTheCollection() {
        Explanation e = Query.from(products).where(Field.of("price").ge(10)).explain();
        assertThat(e.usesIndex()).isFalse();
        assertThat(e.details().get("reason")).startsWith("a scan (cost≈1000) is cheaper");
    }

    @Test
    void extractorIndexesAreUsedOnlyByNameAndReturnEachRecordOnce() {
        assertThat(Query.from(products).where(Field.of("tags").contains("t1")).explain().usesIndex()).isFalse();
        QueryPlan byName = new IndexLookupPlan(products, "tag", List.of("t1", "t2", "t1"));
        assertThat(byName.count()).isEqualTo(666);
        assertThat(Query.of(byName).where(Field.of("category").eq("c1")).count()).isEqualTo(7);
    }

    @Test
    void anUnknownIndexNameIsRefusedWithTheIndexesThatExist() {
        assertThatThrownBy(() -> new IndexLookupPlan(products, "colour", "red"))
                .isInstanceOf(QueryException.class)
                .hasMessageContaining("no index named 'colour'").hasMessageContaining("[category, price, tag]");
    }

    @Test
    void lambdaFiltersInTheSameChainStayAboveTheIndexPlan() {
        Query q = Query.from(products).where(r -> ((Integer) ((DbObject) r).getAt("id")) % 2 == 1)
                .where(Field.of("category").eq("c7"));
        Explanation e = q.explain();
        assertThat(e.details()).containsEntry("filter", "lambda");
        assertThat(e.inputs().get(0).operator()).isEqualTo("IndexLookup");
        assertThat(q.count()).isEqualTo(10);
    }

    @Test
    void startsWithOnAnIndexedStringIsAPrefixRange() {
        Query q = Query.from(products).where(Field.of("category").startsWith("c9"));
        assertThat(q.explain().toText()).contains("range=['c9', 'c:')");
        assertThat(q.count()).isEqualTo(110);
    }
}
