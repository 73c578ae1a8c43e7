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

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The query issue's benchmarks on {@code size} records {@code {id, name, category, price}} (category
 * {@code "cat-" + id % 100}, so one category is 1% of the records; price {@code id * 1.5}), ProtoBase
 * queries through {@link Query} over a {@code Dictionary} root against H2's SQL engine on an in-memory
 * table with the same rows, without and with indexes on category and price:
 * <ul>
 *   <li>(a) equality on category (1% selectivity), returning the matching records;</li>
 *   <li>(b) a range on price covering 0.1% of the records;</li>
 *   <li>(c) group by category with sum and avg of price;</li>
 *   <li>(d) a full scan with a filter no index helps ({@code name} starting with a prefix).</li>
 * </ul>
 * H2 runs with {@code indexed=false} (no secondary index) and {@code indexed=true} (indexes on
 * category and price). ProtoBase runs with {@code index=none} (no secondary index), {@code
 * index=plain} (indexes on category and price: the root {@code Dictionary} is an {@link
 * IndexedCollection} and the optimizer picks the index when its counts say it is cheaper) and {@code
 * index=covering} (the same indexes declared {@link IndexDefinition#covering()}, whose entries carry
 * the records); setup prints the chosen plan. H2 has no covering variant: it cannot INCLUDE columns in
 * an index.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class QueryBenchmark {

    static final String CATEGORY = "cat-42";
    static final String NAME_PREFIX = "Item 99";

    static double low(int size) {
        return size / 2 * 1.5;
    }

    static double high(int size) {
        return (size / 2 + size / 1000) * 1.5;
    }

    static DbObject record(int id) {
        return DbObject.of("id", id, "name", Dataset.name(id), "category", "cat-" + id % 100, "price", Dataset.price(id));
    }

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
            check("equality", equality(this).size(), size / 100);
            check("range", range(this).size(), size / 1000);
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
        @Param({"false", "true"})
        public boolean indexed;
        Connection connection;
        PreparedStatement equality;
        PreparedStatement range;
        PreparedStatement groupBy;
        PreparedStatement scan;

        @Setup(Level.Trial)
        public void setUp() throws SQLException {
            // OPTIMIZE_REUSE_RESULTS=0: H2 would otherwise return the cached result of a repeated query
            connection = DriverManager.getConnection("jdbc:h2:mem:query" + System.nanoTime() + ";OPTIMIZE_REUSE_RESULTS=0");
            try (Statement s = connection.createStatement()) {
                s.execute("CREATE TABLE items (k VARCHAR PRIMARY KEY, id INT, name VARCHAR, category VARCHAR, price DOUBLE)");
                if (indexed) {
                    s.execute("CREATE INDEX items_category ON items(category)");
                    s.execute("CREATE INDEX items_price ON items(price)");
                }
            }
            connection.setAutoCommit(false);
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO items VALUES (?, ?, ?, ?, ?)")) {
                int n = 0;
                for (int id : Dataset.shuffledIds(size, Dataset.INSERT_SEED)) {
                    insert.setString(1, Dataset.key(id));
                    insert.setInt(2, id);
                    insert.setString(3, Dataset.name(id));
                    insert.setString(4, "cat-" + id % 100);
                    insert.setDouble(5, Dataset.price(id));
                    insert.addBatch();
                    if (++n % 10_000 == 0) {
                        insert.executeBatch();
                    }
                }
                insert.executeBatch();
            }
            connection.commit();
            equality = connection.prepareStatement("SELECT * FROM items WHERE category = ?");
            range = connection.prepareStatement("SELECT * FROM items WHERE price BETWEEN ? AND ?");
            groupBy = connection.prepareStatement("SELECT category, SUM(price), AVG(price) FROM items GROUP BY category");
            scan = connection.prepareStatement("SELECT * FROM items WHERE name LIKE ?");
            check("equality", rows(equalityRows(this)), size / 100);
            check("range", rows(rangeRows(this)), size / 1000);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws SQLException {
            connection.close();
        }
    }

    static Query items(Transaction tx) {
        return Query.from(tx.getRootObject(Dataset.NAME, Dictionary.class));
    }

    static void check(String what, long actual, long expected) {
        if (actual < expected || actual > expected + 1) {
            throw new IllegalStateException(what + " found " + actual + " rows, expected about " + expected);
        }
    }

    // ------------------------------------------------------------------ ProtoBase

    @Benchmark
    public List<Object> protobaseEquality(ProtoBaseState s) {
        return equality(s);
    }

    @Benchmark
    public List<Object> protobaseRange(ProtoBaseState s) {
        return range(s);
    }

    static List<Object> equality(ProtoBaseState s) {
        return s.db.read(tx -> items(tx).where(Field.of("category").eq(CATEGORY)).toList());
    }

    static List<Object> range(ProtoBaseState s) {
        return s.db.read(tx -> items(tx).where(Field.of("price").between(low(s.size), high(s.size), "[)")).toList());
    }

    @Benchmark
    public List<Object> protobaseGroupBy(ProtoBaseState s) {
        return s.db.read(tx -> items(tx).groupBy(List.of("category"), Aggregate.sum("total", "price"),
                Aggregate.avg("mean", "price")).toList());
    }

    @Benchmark
    public List<Object> protobaseScanFilter(ProtoBaseState s) {
        return s.db.read(tx -> items(tx).where(Field.of("name").startsWith(NAME_PREFIX)).toList());
    }

    // ------------------------------------------------------------------ H2

    @Benchmark
    public long h2Equality(H2State s) throws SQLException {
        return rows(equalityRows(s));
    }

    @Benchmark
    public long h2Range(H2State s) throws SQLException {
        return rows(rangeRows(s));
    }

    @Benchmark
    public long h2GroupBy(H2State s) throws SQLException {
        return rows(s.groupBy.executeQuery());
    }

    @Benchmark
    public long h2ScanFilter(H2State s) throws SQLException {
        s.scan.setString(1, NAME_PREFIX + "%");
        return rows(s.scan.executeQuery());
    }

    static ResultSet equalityRows(H2State s) throws SQLException {
        s.equality.setString(1, CATEGORY);
        return s.equality.executeQuery();
    }

    static ResultSet rangeRows(H2State s) throws SQLException {
        s.range.setDouble(1, low(s.size));
        s.range.setDouble(2, high(s.size) - 0.75);
        return s.range.executeQuery();
    }

    static int sink;

    /** Reads every column of every row, as the ProtoBase side materialises every record. */
    static long rows(ResultSet rs) throws SQLException {
        long n = 0;
        try (rs) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                for (int c = 1; c <= columns; c++) {
                    sink ^= java.util.Objects.hashCode(rs.getObject(c));
                }
                n++;
            }
        }
        return n;
    }

    static long rows(List<Object> results) {
        return results.size();
    }
}
