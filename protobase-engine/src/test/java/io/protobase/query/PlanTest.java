package io.protobase.query;

import io.protobase.collection.CountedSet;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.collection.HashDictionary;
import io.protobase.collection.ProtoList;
import io.protobase.collection.ProtoSet;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One or two behaviours of each plan, built directly as plan trees. */
class PlanTest {

    static final List<Object> PRODUCTS = List.of(
            DbObject.of("id", 1, "name", "tv", "category", "electronics", "price", 500),
            DbObject.of("id", 2, "name", "apple", "category", "food", "price", 1.5),
            DbObject.of("id", 3, "name", "radio", "category", "electronics", "price", 40L),
            DbObject.of("id", 4, "name", "pear", "category", "food"),
            DbObject.of("id", 5, "name", "cable", "category", "electronics", "price", new BigDecimal("9.90")));

    static List<Object> run(QueryPlan p) {
        return p.execute().collect(Collectors.toList());
    }

    static List<Object> ids(QueryPlan p) {
        return p.execute().map(r -> ((DbObject) r).getAt("id")).collect(Collectors.toList());
    }

    @Test
    void seedExampleFromWhereLambdaSelectWorksAsWritten() {
        QueryPlan fromPlan = new FromPlan(ProtoList.from(PRODUCTS));
        QueryPlan wherePlan = new WherePlan(item -> "electronics".equals(((DbObject) item).getAt("category")),
                fromPlan);
        QueryPlan selectPlan = new SelectPlan(item -> DbObject.of("id", ((DbObject) item).getAt("id"),
                "name", ((DbObject) item).getAt("name")), wherePlan);

        List<Object> out = new ArrayList<>();
        for (Iterator<Object> it = selectPlan.iterator(); it.hasNext(); ) {
            out.add(it.next());
        }
        assertThat(out).containsExactly(DbObject.of("id", 1, "name", "tv"), DbObject.of("id", 3, "name", "radio"),
                DbObject.of("id", 5, "name", "cable"));
    }

    @Test
    void fromPlanReadsDictionaryValuesListElementsSetElementsAndMultisetCopies() {
        assertThat(run(new FromPlan(Dictionary.of("b", 2, "a", 1)))).containsExactly(1, 2);
        assertThat(run(new FromPlan(HashDictionary.of("x", 7)))).containsExactly(7);
        assertThat(run(new FromPlan(ProtoList.of(1, 1, 2)))).containsExactly(1, 1, 2);
        assertThat(run(new FromPlan(ProtoSet.of(3)))).containsExactly(3);
        assertThat(run(new FromPlan(CountedSet.of("a", "a", "b")))).containsExactlyInAnyOrder("a", "a", "b");
        assertThat(run(new FromPlan(Map.of("k", "v")))).containsExactly("v");
        assertThat(new FromPlan(CountedSet.of("a", "a")).count()).isEqualTo(2);
    }

    @Test
    void fromPlanRefusesSomethingThatIsNotACollection() {
        assertThatThrownBy(() -> new FromPlan(42)).isInstanceOf(QueryException.class)
                .hasMessageContaining("Cannot query a java.lang.Integer");
    }

    @Test
    void plansAreLazyAndLimitStopsReadingTheSource() {
        AtomicInteger reads = new AtomicInteger();
        Iterable<Object> counting = () -> PRODUCTS.stream().peek(r -> reads.incrementAndGet()).iterator();
        QueryPlan p = new LimitPlan(1, new WherePlan(Field.of("category").eq("electronics"), new FromPlan(counting)));
        assertThat(reads).hasValue(0);
        assertThat(ids(p)).containsExactly(1);
        assertThat(reads).hasValue(1);
    }

    @Test
    void whereWithExpressionComparesNumbersOfAnyTypeNumerically() {
        QueryPlan p = new WherePlan(Field.of("price").lt(new BigDecimal("40.0")), new FromPlan(PRODUCTS));
        assertThat(ids(p)).containsExactly(2, 5);
        assertThat(ids(new WherePlan(Field.of("price").eq(40), new FromPlan(PRODUCTS)))).containsExactly(3);
    }

    @Test
    void selectFieldsMakesRowsWithNullForAbsentFields() {
        QueryPlan p = SelectPlan.fields(List.of("id", "price"), new FromPlan(PRODUCTS.subList(3, 4)));
        Map<String, Object> row = new java.util.LinkedHashMap<>();
        row.put("id", 4);
        row.put("price", null);
        assertThat(run(p)).containsExactly(row);
    }

    @Test
    void orderBySortsByKeysInOrderWithNullsWhereAsked() {
        QueryPlan asc = new OrderByPlan(List.of(SortKey.asc("price")), new FromPlan(PRODUCTS));
        assertThat(ids(asc)).containsExactly(2, 5, 3, 1, 4);
        QueryPlan desc = new OrderByPlan(List.of(SortKey.desc("price")), new FromPlan(PRODUCTS));
        assertThat(ids(desc)).containsExactly(4, 1, 3, 5, 2);
        QueryPlan nullsFirst = new OrderByPlan(List.of(SortKey.asc("price").nullsFirst()), new FromPlan(PRODUCTS));
        assertThat(ids(nullsFirst)).containsExactly(4, 2, 5, 3, 1);
        QueryPlan twoKeys = new OrderByPlan(List.of(SortKey.asc("category"), SortKey.desc("id")),
                new FromPlan(PRODUCTS));
        assertThat(ids(twoKeys)).containsExactly(5, 3, 1, 4, 2);
    }

    @Test
    void orderByRefusesValuesThatHaveNoOrderWithAnExplanation() {
        QueryPlan p = new OrderByPlan(List.of(SortKey.asc(r -> new Object())), new FromPlan(PRODUCTS));
        assertThatThrownBy(() -> run(p)).isInstanceOf(QueryException.class).hasMessageContaining("not orderable");
    }

    @Test
    void limitAndOffsetPage() {
        QueryPlan sorted = new OrderByPlan(List.of(SortKey.asc("id")), new FromPlan(PRODUCTS));
        assertThat(ids(new LimitPlan(2, new OffsetPlan(1, sorted)))).containsExactly(2, 3);
        assertThat(new LimitPlan(2, new OffsetPlan(4, sorted)).count()).isEqualTo(1);
        assertThatThrownBy(() -> new LimitPlan(-1, sorted)).isInstanceOf(QueryException.class);
    }

    @Test
    void distinctTreatsNumbersOfDifferentTypesAsOneValueAndKeepsTheFirst() {
        QueryPlan p = new DistinctPlan(new FromPlan(List.of(1, 1L, 1.0, "1", 2, new BigDecimal("2.00"))));
        assertThat(run(p)).containsExactly(1, "1", 2);
        QueryPlan byCategory = new DistinctPlan(Field.of("category"), new FromPlan(PRODUCTS));
        assertThat(ids(byCategory)).containsExactly(1, 2);
    }

    @Test
    void groupByComputesEveryAggregatePerGroupInFirstSeenOrder() {
        QueryPlan p = GroupByPlan.byFields(List.of("category"),
                List.of(Aggregate.count("n"), Aggregate.count("priced", "price"),
                Aggregate.sum("total", "price"), Aggregate.avg("mean", "price"), Aggregate.min("low", "price"),
                Aggregate.max("high", "price"), Aggregate.collect("names", "name")), new FromPlan(PRODUCTS));
        List<Object> rows = run(p);
        assertThat(rows).hasSize(2);
        Map<?, ?> electronics = (Map<?, ?>) rows.get(0);
        assertThat(electronics.get("category")).isEqualTo("electronics");
        assertThat(electronics.get("n")).isEqualTo(3L);
        assertThat(electronics.get("total")).isEqualTo(new BigDecimal("549.90"));
        assertThat((Double) electronics.get("mean")).isEqualTo(549.9 / 3);
        assertThat(electronics.get("low")).isEqualTo(new BigDecimal("9.90"));
        assertThat(electronics.get("high")).isEqualTo(500);
        assertThat(electronics.get("names")).isEqualTo(List.of("tv", "radio", "cable"));
        Map<?, ?> food = (Map<?, ?>) rows.get(1);
        assertThat(food.get("priced")).isEqualTo(1L);
        assertThat(food.get("total")).isEqualTo(1.5);
    }

    @Test
    void groupByWithSeveralKeysAndNullKeysFormsOneNullGroup() {
        List<Object> data = List.of(DbObject.of("a", 1, "b", "x"), DbObject.of("a", 1L, "b", "x"),
                DbObject.of("b", "x"), DbObject.of("a", 2));
        List<Object> rows = run(GroupByPlan.byFields(List.of("a", "b"), List.of(Aggregate.count("n")),
                new FromPlan(data)));
        assertThat(rows.stream().map(r -> (Object) ((Map<?, ?>) r).get("n")).toList()).containsExactly(2L, 1L, 1L);
        assertThat(((Map<?, ?>) rows.get(1)).get("a")).isNull();
    }

    @Test
    void groupByWithoutKeysOverNothingGivesOneRowAsSql() {
        List<Object> rows = run(new GroupByPlan(Map.of(), List.of(Aggregate.count("n"), Aggregate.sum("s", "x")),
                new FromPlan(List.of())));
        assertThat(rows).hasSize(1);
        assertThat(((Map<?, ?>) rows.get(0)).get("n")).isEqualTo(0L);
        assertThat(((Map<?, ?>) rows.get(0)).get("s")).isNull();
    }

    @Test
    void sumStaysExactForIntegersAndWidensOnOverflow() {
        List<Object> data = List.of(DbObject.of("x", Long.MAX_VALUE), DbObject.of("x", 1));
        Object total = ((Map<?, ?>) run(new GroupByPlan(Map.of(), List.of(Aggregate.sum("t", "x")), new FromPlan(data)))
                .get(0)).get("t");
        assertThat(total).isEqualTo(new BigDecimal(Long.MAX_VALUE).add(BigDecimal.ONE));
    }

    static final List<Object> ORDERS = List.of(
            DbObject.of("order", 10, "product", 1),
            DbObject.of("order", 11, "product", 3L),
            DbObject.of("order", 12, "product", 1.0),
            DbObject.of("order", 13, "product", 99),
            DbObject.of("order", 14));

    private static List<String> pairs(JoinPlan.Type type) {
        QueryPlan p = new JoinPlan(new FromPlan(ORDERS), new FromPlan(PRODUCTS), Field.of("product"), Field.of("id"),
                type, (o, pr) -> (o == null ? "-" : ((DbObject) o).getAt("order")) + ":"
                        + (pr == null ? "-" : ((DbObject) pr).getAt("name")));
        return run(p).stream().map(String::valueOf).toList();
    }

    @Test
    void joinMatchesKeysAcrossNumericTypesAndNeverMatchesMissingKeys() {
        assertThat(pairs(JoinPlan.Type.INNER)).containsExactly("10:tv", "11:radio", "12:tv");
        assertThat(pairs(JoinPlan.Type.LEFT)).containsExactly("10:tv", "11:radio", "12:tv", "13:-", "14:-");
        assertThat(pairs(JoinPlan.Type.RIGHT))
                .containsExactly("10:tv", "11:radio", "12:tv", "-:apple", "-:pear", "-:cable");
        assertThat(pairs(JoinPlan.Type.FULL)).containsExactly("10:tv", "11:radio", "12:tv", "13:-", "14:-",
                "-:apple", "-:pear", "-:cable");
    }

    @Test
    void joinDefaultRowsAreReachableByDottedPaths() {
        QueryPlan p = new WherePlan(Field.of("right.category").eq("electronics"),
                new JoinPlan(new FromPlan(ORDERS), new FromPlan(PRODUCTS), Field.of("product"), Field.of("id"),
                        JoinPlan.Type.LEFT));
        assertThat(run(p)).extracting(r -> Field.of("left.order").apply(r)).containsExactly(10, 11, 12);
    }

    @Test
    void unnestYieldsOneRecordPerElementAndBindsAnAlias() {
        List<Object> data = List.of(DbObject.of("id", 1, "tags", List.of("a", "b")), DbObject.of("id", 2, "tags", "ab"),
                DbObject.of("id", 3, "tags", ProtoList.of("c")), DbObject.of("id", 4));
        assertThat(run(new UnnestPlan("tags", null, new FromPlan(data)))).containsExactly("a", "b", "c");
        assertThat(run(new UnnestPlan("tags", "tag", new FromPlan(data)))).extracting(r -> ((DbObject) r).getAt("tag"))
                .containsExactly("a", "b", "c");
    }

    @Test
    void countPlanYieldsOneCountRow() {
        CountPlan p = new CountPlan(new WherePlan(Field.of("category").eq("food"), new FromPlan(PRODUCTS)));
        assertThat(p.value()).isEqualTo(2);
        assertThat(run(p)).containsExactly(Map.of("count", 2L));
    }
}
