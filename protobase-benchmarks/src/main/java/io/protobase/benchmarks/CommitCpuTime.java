package io.protobase.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * CPU time of a one-key commit on {@code MemoryStorage}, not a JMH benchmark: the workload of
 * {@link UpdateBenchmark}'s {@code protobaseUpdate} (the {@link Dataset} of 1,000,000 records, each
 * commit replacing the record of one key in the update order), timed by the committing thread's CPU
 * time as well as by the clock. On a machine shared with other work the clock counts the time the
 * thread waits for a core; its CPU time much less so, which makes two builds comparable there. The
 * commits run in rounds of {@value #ROUND}; the first rounds warm the JIT up, and the median of the
 * last ten rounds is printed with every round's figures.
 *
 * <pre>
 * java -Xms3g -Xmx3g -XX:+AlwaysPreTouch -cp protobase-benchmarks/target/benchmarks.jar \
 *     io.protobase.benchmarks.CommitCpuTime [rounds]
 * </pre>
 */
public final class CommitCpuTime {

    /** Commits per round. */
    static final int ROUND = 5_000;

    private CommitCpuTime() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int size = Integer.parseInt(Dataset.DEFAULT_SIZE);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int[] ids = Dataset.shuffledIds(size, Dataset.UPDATE_SEED);
        String[] keys = Dataset.keys(ids);
        List<Double> cpu = new ArrayList<>();
        try (Dataset.ProtoBaseMap data = Dataset.ProtoBaseMap.load(size, Dataset.Backing.MEMORY)) {
            int next = 0;
            long commits = 0;
            for (int r = 0; r < rounds; r++) {
                long cpuStart = threads.getCurrentThreadCpuTime();
                long wallStart = System.nanoTime();
                for (int i = 0; i < ROUND; i++) {
                    int id = ids[next];
                    Dataset.replace(data.db, keys[next], Dataset.protobaseRecord(id, Dataset.price(id) + ++commits));
                    next = (next + 1) % size;
                }
                double cpuMicros = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e3 / ROUND;
                double wallMicros = (System.nanoTime() - wallStart) / 1e3 / ROUND;
                cpu.add(cpuMicros);
                System.out.printf("round %d: %.1f us CPU, %.1f us elapsed per commit%n", r, cpuMicros, wallMicros);
            }
        }
        List<Double> last = new ArrayList<>(cpu.subList(Math.max(0, cpu.size() - 10), cpu.size()));
        Collections.sort(last);
        System.out.printf("median CPU time per commit over the last %d rounds: %.1f us%n", last.size(),
                last.get(last.size() / 2));
    }
}
