package io.protobase.benchmarks;

import io.protobase.Database;
import io.protobase.ObjectSpace;
import io.protobase.Transaction;
import io.protobase.collection.DbObject;
import io.protobase.collection.Dictionary;
import io.protobase.index.IndexDefinition;
import io.protobase.index.IndexedCollection;
import io.protobase.query.Aggregate;
import io.protobase.query.Field;
import io.protobase.query.Query;
import io.protobase.storage.memory.MemoryStorage;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The query issue's benchmarks on {@code size} records {@code {id, name, category, price}} (category
 * {@code "cat-" + id % 100}, so one category is 1% of the records; price {@code id * 1.5}), ProtoBase
 * queries through {@link Query} over a {@code Dictionary} root against H2's SQL engine on an in-memory
 * table with the same rows:
 * <ul>
 *   <li>(a) equality on category (1% selectivity), returning the matching records;</li>
 *   <li>(b) a range on price covering 0.1% of the records;</li>
 *   <li>(c) group by category with sum and avg of price;</li>
 *   <li>(d) a full scan with a filter no index helps ({@code name} starting with a prefix).</li>
 * </ul>
 * The parameter {@code index} applies to both sides: {@code none} (no secondary index), {@code plain}
 * (indexes on category and on price; ProtoBase's root {@code Dictionary} is then an {@link IndexedCollection}
 * and its optimizer picks an index when its counts say it is cheaper; H2's index rows hold the indexed column
 * and the row key, so each match is read from the table) and {@code covering} (ProtoBase: the same indexes
 * declared {@link IndexDefinition#covering()}, whose entries carry the records; H2: indexes on
 * {@code (category, id, name, price)} and {@code (price, id, name, category)}, which hold every selected column,
 * so H2 answers from the index row without reading the table). Setup prints both sides' plans.
 *
 * <p>Both sides read every selected field of every result (ProtoBase: {@code id}, {@code name},
 * {@code category} and {@code price} of each record, or the key and both aggregates of each group; H2: every
 * column of the {@code SELECT}, which names the same four, not the table's key column), and setup checks that
 * each query returns exactly the number of rows the data set implies, on both sides.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
public class QueryBenchmark {

    static final String CATEGORY = "cat-42";
    static final String NAME_PREFIX = "Item 99";

    static double low(int size) {
        return size / 2 * 1.5;
    }

    static double high(int size) {
        return (size / 2 + size / 1000) * 1.5;
    }

    static String category(int id) {
        return Dataset.category(id);
    }

    static DbObject record(int id) {
        return Dataset.protobaseRecord(id);
    }

    /** The number of rows each query must return on {@code size} records, counted from the data set itself. */
    record Expected(long equality, long range, long groups, long scan) {
        static Expected of(int size) {
            long equality = 0;
            long range = 0;
            long scan = 0;
            Set<String> categories = new HashSet<>();
            for (int id = 1; id <= size; id++) {
                double price = Dataset.price(id);
                equality += category(id).equals(CATEGORY) ? 1 : 0;
                range += price >= low(size) && price < high(size) ? 1 : 0;
                scan += Dataset.name(id).startsWith(NAME_PREFIX) ? 1 : 0;
                categories.add(category(id));
            }
            return new Expected(equality, range, categories.size(), scan);
        }

        void check(String side, long equality, long range, long groups, long scan) {
            checkRows(side, "equality", equality, this.equality);
            checkRows(side, "range", range, this.range);
            checkRows(side, "group by", groups, this.groups);
            checkRows(side, "scan filter", scan, this.scan);
        }

        private static void checkRows(String side, String query, long actual, long expected) {
            if (actual != expected) {
                throw new IllegalStateException(side + "'s " + query + " query returned " + actual
                        + " rows; the data set holds " + expected);
            }
        }
    }

    /** Where the fields read from the results go: JMH's {@link Blackhole} when measuring. */
    interface Sink {
        void consume(Object value);
    }

    static final Sink DISCARD = value -> { };

    @State(Scope.Benchmark)
    public static class ProtoBaseState {
        @Param(Dataset.DEFAULT_SIZE)
        public int size;
        /** {@code none}, {@code plain} or {@code covering} secondary indexes on category and price. */
        @Param({"none", "plain", "covering"})
        public String index;
        ObjectSpace space;
        Database db;

        @Setup(Level.Trial)
        public void setUp() {
            space = new ObjectSpace(new MemoryStorage());
            db = space.getDatabase(Dataset.NAME);
            Dictionary.Builder b = Dictionary.builder();
            for (int id : Dataset.shuffledIds(size, Dataset.INSERT_SEED)) {
                b.setAt(Dataset.key(id), record(id));
            }
            Dictionary items = b.build();
            if (!index.equals("none")) {
                IndexDefinition category = IndexDefinition.onField("category");
                IndexDefinition price = IndexDefinition.onField("price");
                if (index.equals("covering")) {
                    category = category.covering();
                    price = price.covering();
                } else if (!index.equals("plain")) {
                    throw new IllegalArgumentException("index must be none, plain or covering, not " + index);
                }
                items = items.withIndex(category).withIndex(price);
            }
            try (Transaction tx = db.newTransaction()) {
                tx.setRootObject(Dataset.NAME, items);
                tx.commit();
            }
            System.out.println("\nProtoBase equality plan:\n" + db.read(tx -> items(tx)
                    .where(Field.of("category").eq(CATEGORY)).explain().toText()));
            Expected.of(size).check("ProtoBase (index=" + index + ")", readRecords(equality(this), DISCARD),
                    readRecords(range(this), DISCARD), readGroups(groupBy(this), DISCARD),
                    readRecords(scanFilter(this), DISCARD));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            space.close();
        }
    }

    @State(Scope.Benchmark)
    public static class H2State {
        @Param(Dataset.DEFAULT_SIZE)
        public int size;
        /** {@code none}, {@code plain} or {@code covering} secondary indexes on category and price. */
        @Param({"none", "plain", "covering"})
        public String index;
        Connection connection;
        PreparedStatement equality;
        PreparedStatement range;
        PreparedStatement groupBy;
        PreparedStatement scan;

        @Setup(Level.Trial)
        public void setUp() throws SQLException {
            // OPTIMIZE_REUSE_RESULTS=0: H2 would otherwise return the cached result of a repeated query
            connection = DriverManager.getConnection("jdbc:h2:mem:query" + System.nanoTime()
                    + ";OPTIMIZE_REUSE_RESULTS=0");
            try (Statement s = connection.createStatement()) {
                s.execute("CREATE TABLE items "
                        + "(k VARCHAR PRIMARY KEY, id INT, name VARCHAR, category VARCHAR, price DOUBLE)");
                switch (index) {
                    case "none" -> { }
                    case "plain" -> {
                        s.execute("CREATE INDEX items_category ON items(category)");
                        s.execute("CREATE INDEX items_price ON items(price)");
                    }
                    case "covering" -> {
                        s.execute("CREATE INDEX items_category ON items(category, id, name, price)");
                        s.execute("CREATE INDEX items_price ON items(price, id, name, category)");
                    }
                    default -> throw new IllegalArgumentException("index must be none, plain or covering, not "
                            + index);
                }
            }
            connection.setAutoCommit(false);
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO items VALUES (?, ?, ?, ?, ?)")) {
                int n = 0;
                for (int id : Dataset.shuffledIds(size, Dataset.INSERT_SEED)) {
                    insert.setString(1, Dataset.key(id));
                    insert.setInt(2, id);
                    insert.setString(3, Dataset.name(id));
                    insert.setString(4, category(id));
                    insert.setDouble(5, Dataset.price(id));
                    insert.addBatch();
                    if (++n % 10_000 == 0) {
                        insert.executeBatch();
                    }
                }
                insert.executeBatch();
            }
            connection.commit();
            equality = connection.prepareStatement(SELECT + " WHERE category = ?");
            range = connection.prepareStatement(SELECT + " WHERE price BETWEEN ? AND ?");
            groupBy = connection.prepareStatement(
                    "SELECT category, SUM(price), AVG(price) FROM items GROUP BY category");
            scan = connection.prepareStatement(SELECT + " WHERE name LIKE ?");
            try (Statement s = connection.createStatement();
                    ResultSet plan = s.executeQuery("EXPLAIN " + SELECT + " WHERE category = '" + CATEGORY + "'")) {
                plan.next();
                System.out.println("\nH2 equality plan (index=" + index + "):\n" + plan.getString(1));
            }
            Expected.of(size).check("H2 (index=" + index + ")", rows(equalityRows(this), DISCARD),
                    rows(rangeRows(this), DISCARD), rows(groupBy.executeQuery(), DISCARD),
                    rows(scanRows(this), DISCARD));
        }

        @TearDown(Level.Trial)
        public void tearDown() throws SQLException {
            connection.close();
        }
    }

    /** The columns of a ProtoBase record, in the order of its fields; not the table's key column. */
    static final String SELECT = "SELECT id, name, category, price FROM items";

    static Query items(Transaction tx) {
        return Query.from(tx.getRootObject(Dataset.NAME, Dictionary.class));
    }

    // ------------------------------------------------------------------ ProtoBase

    @Benchmark
    public long protobaseEquality(ProtoBaseState s, Blackhole bh) {
        return readRecords(equality(s), bh::consume);
    }

    @Benchmark
    public long protobaseRange(ProtoBaseState s, Blackhole bh) {
        return readRecords(range(s), bh::consume);
    }

    @Benchmark
    public long protobaseGroupBy(ProtoBaseState s, Blackhole bh) {
        return readGroups(groupBy(s), bh::consume);
    }

    @Benchmark
    public long protobaseScanFilter(ProtoBaseState s, Blackhole bh) {
        return readRecords(scanFilter(s), bh::consume);
    }

    static List<Object> equality(ProtoBaseState s) {
        return s.db.read(tx -> items(tx).where(Field.of("category").eq(CATEGORY)).toList());
    }

    static List<Object> range(ProtoBaseState s) {
        return s.db.read(tx -> items(tx).where(Field.of("price").between(low(s.size), high(s.size), "[)")).toList());
    }

    static List<Object> groupBy(ProtoBaseState s) {
        return s.db.read(tx -> items(tx).groupBy(List.of("category"), Aggregate.sum("total", "price"),
                Aggregate.avg("mean", "price")).toList());
    }

    static List<Object> scanFilter(ProtoBaseState s) {
        return s.db.read(tx -> items(tx).where(Field.of("name").startsWith(NAME_PREFIX)).toList());
    }

    /** Reads the four fields of every record, as the H2 side reads every selected column; returns the count. */
    static long readRecords(List<Object> results, Sink sink) {
        for (Object o : results) {
            DbObject r = (DbObject) o;
            sink.consume(r.getAt("id"));
            sink.consume(r.getAt("name"));
            sink.consume(r.getAt("category"));
            sink.consume(r.getAt("price"));
        }
        return results.size();
    }

    /** Reads the key and both aggregates of every group; returns the count. */
    static long readGroups(List<Object> results, Sink sink) {
        for (Object o : results) {
            Map<?, ?> group = (Map<?, ?>) o;
            sink.consume(group.get("category"));
            sink.consume(group.get("total"));
            sink.consume(group.get("mean"));
        }
        return results.size();
    }

    // ------------------------------------------------------------------ H2

    @Benchmark
    public long h2Equality(H2State s, Blackhole bh) throws SQLException {
        return rows(equalityRows(s), bh::consume);
    }

    @Benchmark
    public long h2Range(H2State s, Blackhole bh) throws SQLException {
        return rows(rangeRows(s), bh::consume);
    }

    @Benchmark
    public long h2GroupBy(H2State s, Blackhole bh) throws SQLException {
        return rows(s.groupBy.executeQuery(), bh::consume);
    }

    @Benchmark
    public long h2ScanFilter(H2State s, Blackhole bh) throws SQLException {
        return rows(scanRows(s), bh::consume);
    }

    static ResultSet equalityRows(H2State s) throws SQLException {
        s.equality.setString(1, CATEGORY);
        return s.equality.executeQuery();
    }

    static ResultSet rangeRows(H2State s) throws SQLException {
        // BETWEEN is inclusive; prices are multiples of 1.5, so high - 0.75 excludes high as "[)" does
        s.range.setDouble(1, low(s.size));
        s.range.setDouble(2, high(s.size) - 0.75);
        return s.range.executeQuery();
    }

    static ResultSet scanRows(H2State s) throws SQLException {
        s.scan.setString(1, NAME_PREFIX + "%");
        return s.scan.executeQuery();
    }

    /** Reads every column of every row, as the ProtoBase side reads every field; returns the count. */
    static long rows(ResultSet rs, Sink sink) throws SQLException {
        long n = 0;
        try (rs) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                for (int c = 1; c <= columns; c++) {
                    sink.consume(rs.getObject(c));
                }
                n++;
            }
        }
        return n;
    }
}
