package io.protobase.query;

import io.protobase.collection.DbObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.protobase.query.PlanTest.PRODUCTS;
import static org.assertj.core.api.Assertions.assertThat;

/** The fluent API: operator order, immutability, terminals. */
class QueryTest {

    private static List<Object> ids(Query q) {
        return q.select(Field.of("id")).toList();
    }

    @Test
    void operatorsApplyInTheOrderWritten() {
        Query all = Query.from(PRODUCTS);
        assertThat(ids(all.orderBy(SortKey.desc("id")).limit(2))).containsExactly(5, 4);
        assertThat(ids(all.limit(2).orderBy(SortKey.desc("id")))).containsExactly(2, 1);
        assertThat(all.orderBy("price").select("name").limit(1).toList()).containsExactly(Map.of("name", "apple"));
    }

    @Test
    void eachOperatorReturnsANewQueryAndLeavesTheOriginalUnchanged() {
        Query base = Query.from(PRODUCTS);
        Query food = base.where(Field.of("category").eq("food"));
        assertThat(base.count()).isEqualTo(5);
        assertThat(food.count()).isEqualTo(2);
        assertThat(food.limit(1).count()).isEqualTo(1);
        assertThat(food.count()).isEqualTo(2);
    }

    @Test
    void terminalsFirstAnyCountAndToList() {
        Query q = Query.from(PRODUCTS).where(Field.of("price").gt(100));
        assertThat(q.first()).contains(PRODUCTS.get(0));
        assertThat(q.any()).isTrue();
        assertThat(Query.from(PRODUCTS).where(Field.of("price").gt(1000)).first()).isEmpty();
        assertThat(Query.from(PRODUCTS).where(Field.of("price").gt(1000)).any()).isFalse();
    }

    @Test
    void groupByTerminalGroupsRecordsByKey() {
        Map<Object, List<Object>> groups = Query.from(PRODUCTS).groupBy(Field.of("category"));
        assertThat(groups.keySet()).containsExactly("electronics", "food");
        assertThat(groups.get("food")).hasSize(2);
    }

    @Test
    void groupByWithAggregatesIsAnOperatorThatCanBeOrderedAfterwards() {
        List<Object> rows = Query.from(PRODUCTS).groupBy(List.of("category"), Aggregate.count("n"))
                .orderBy(SortKey.asc("n")).toList();
        assertThat(rows.stream().map(r -> (Object) ((Map<?, ?>) r).get("category")).toList())
                .containsExactly("food", "electronics");
    }

    @Test
    void nullsAreNeitherEqualNorUnequalAndNotOfUnknownStaysUnknown() {
        Query q = Query.from(PRODUCTS);
        assertThat(q.where(Field.of("price").gt(100)).count()).isEqualTo(1);
        assertThat(q.where(Field.of("price").gt(100).not()).count()).isEqualTo(3);
        assertThat(q.where(Field.of("price").isNull()).count()).isEqualTo(1);
        assertThat(q.where(Field.of("price").eq(null)).count()).isZero();
        assertThat(q.where(Field.of("price").ne(null)).count()).isZero();
    }

    @Test
    void equalityAcrossTypeGroupsIsFalseAndOrderingAcrossGroupsIsUnknown() {
        List<Object> data = List.of(DbObject.of("v", 1), DbObject.of("v", "1"));
        assertThat(Query.from(data).where(Field.of("v").ne("1")).toList()).containsExactly(data.get(0));
        assertThat(Query.from(data).where(Field.of("v").lt("2").not()).count()).isZero();
    }

    @Test
    void containsTestsSubstringsOfStringsAndMembershipOfCollections() {
        List<Object> data = List.of(DbObject.of("v", "hello"), DbObject.of("v", List.of(1, 2)), DbObject.of("v", 12));
        assertThat(Query.from(data).where(Field.of("v").contains("ell")).toList()).containsExactly(data.get(0));
        assertThat(Query.from(data).where(Field.of("v").contains(2L)).toList()).containsExactly(data.get(1));
    }

    @Test
    void betweenHasFourBoundStyles() {
        Query q = Query.from(List.of(1, 2, 3).stream().map(i -> (Object) DbObject.of("v", i)).toList());
        assertThat(q.where(Field.of("v").between(1, 3)).count()).isEqualTo(3);
        assertThat(q.where(Field.of("v").between(1, 3, "()")).count()).isEqualTo(1);
        assertThat(q.where(Field.of("v").between(1, 3, "[)")).count()).isEqualTo(2);
        assertThat(q.where(Field.of("v").between(1, 3, Bounds.OPEN_CLOSED)).count()).isEqualTo(2);
        assertThat(q.where(Field.of("v").between(3, 1)).count()).isZero();
    }

    @Test
    void unnestDistinctAndJoinFromTheFluentApi() {
        List<Object> posts = List.of(DbObject.of("id", 1, "tags", List.of("a", "b")),
                DbObject.of("id", 2, "tags", List.of("b")));
        assertThat(Query.from(posts).unnest("tags").distinct().toList()).containsExactly("a", "b");
        List<Object> joined = Query.from(posts)
                .join(Query.from(PRODUCTS), Field.of("id"), Field.of("id"), JoinPlan.Type.INNER)
                .select("right.name").toList();
        assertThat(joined).containsExactly(Map.of("right.name", "tv"), Map.of("right.name", "apple"));
    }
}
