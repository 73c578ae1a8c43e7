package io.protobase.benchmarks;

import io.protobase.Transaction;
import io.protobase.collection.Dictionary;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * CPU time of one-key commits that rebase, on {@code MemoryStorage}, not a JMH benchmark: the data set of
 * {@link UpdateBenchmark} (1,000,000 records), one thread opening {@value #GROUP} transactions on one snapshot,
 * each replacing the record of another key, and committing them in turn, so that every commit but the first of a
 * group is rebased onto the ones before it. It prints, per round of {@value #GROUPS} groups, the committing
 * thread's CPU time per commit for the first of each group and for the rebased ones, then the median of the last
 * ten rounds. With a profiler attached (JFR), the share of {@code CommitPipeline.runBatch} in the rebased commits'
 * samples is the work a rebased commit does under the commit lock, in series with every other committer.
 *
 * <pre>
 * java -Xms3g -Xmx3g -XX:StartFlightRecording=filename=rebased.jfr,settings=profile \
 *     -cp protobase-benchmarks/target/benchmarks.jar io.protobase.benchmarks.RebasedCommitCpuTime [rounds]
 * </pre>
 */
public final class RebasedCommitCpuTime {

    /** Transactions opened on one snapshot. */
    static final int GROUP = 8;
    /** Groups per round. */
    static final int GROUPS = 500;

    private RebasedCommitCpuTime() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int size = Integer.parseInt(Dataset.DEFAULT_SIZE);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int[] ids = Dataset.shuffledIds(size, Dataset.UPDATE_SEED);
        String[] keys = Dataset.keys(ids);
        List<Double> rebased = new ArrayList<>();
        try (Dataset.ProtoBaseMap data = Dataset.ProtoBaseMap.load(size, Dataset.Backing.MEMORY)) {
            int next = 0;
            long commits = 0;
            for (int r = 0; r < rounds; r++) {
                long first = 0;
                long rest = 0;
                for (int g = 0; g < GROUPS; g++) {
                    Transaction[] txs = new Transaction[GROUP];
                    for (int t = 0; t < GROUP; t++) {
                        int id = ids[next];
                        txs[t] = data.db.newTransaction();
                        Dictionary items = txs[t].getRootObject(Dataset.NAME, Dictionary.class);
                        txs[t].setRootObject(Dataset.NAME, items.setAt(keys[next],
                                Dataset.protobaseRecord(id, Dataset.price(id) + ++commits)));
                        next = (next + 1) % size;
                    }
                    for (int t = 0; t < GROUP; t++) {
                        long start = threads.getCurrentThreadCpuTime();
                        txs[t].commit();
                        long spent = threads.getCurrentThreadCpuTime() - start;
                        if (t == 0) {
                            first += spent;
                        } else {
                            rest += spent;
                        }
                    }
                }
                double firstMicros = first / 1e3 / GROUPS;
                double rebasedMicros = rest / 1e3 / GROUPS / (GROUP - 1);
                rebased.add(rebasedMicros);
                System.out.printf("round %d: %.1f us CPU per first commit, %.1f us per rebased commit%n", r,
                        firstMicros, rebasedMicros);
            }
        }
        List<Double> last = new ArrayList<>(rebased.subList(Math.max(0, rebased.size() - 10), rebased.size()));
        Collections.sort(last);
        System.out.printf("median CPU time per rebased commit over the last %d rounds: %.1f us%n", last.size(),
                last.get(last.size() / 2));
    }
}
