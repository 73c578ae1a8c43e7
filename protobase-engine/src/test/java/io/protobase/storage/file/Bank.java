package io.protobase.storage.file;

import io.protobase.Database;
import io.protobase.collection.Dictionary;

import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The crash tests' workload: one database with a dictionary of account balances, whose total every
 * transaction conserves, a counter root that every transaction increments, so a recovered state
 * tells exactly which commit it is, and optionally a note root rewritten by each transaction to
 * make commits larger. {@link Transfer#applyTo} is the model a recovered state is compared with.
 */
final class Bank {

    static final String DATABASE = "bank";
    static final int ACCOUNTS = 20;
    static final long INITIAL_BALANCE = 1_000;
    static final long TOTAL = ACCOUNTS * INITIAL_BALANCE;

    /** A committed state: the counter (0 before the first transaction), every balance, and the note. */
    record Snapshot(long counter, Map<String, Long> balances, String note) {

        static final Snapshot EMPTY = new Snapshot(0, Map.of(), null);

        long total() {
            return balances.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /**
     * One transaction: moves {@code share} of the balance of account {@code from} to account
     * {@code to}, increments the counter and, if {@code noteLength > 0}, rewrites the note.
     */
    record Transfer(int from, int to, double share, int noteLength) {

        static Transfer random(Random rnd, int maxNoteLength) {
            int from = rnd.nextInt(ACCOUNTS);
            int to = (from + 1 + rnd.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
            return new Transfer(from, to, rnd.nextDouble(), maxNoteLength == 0 ? 0 : rnd.nextInt(maxNoteLength));
        }

        /** Commits this transfer; returns the counter value it committed. */
        long commit(Database db) {
            return db.write(tx -> {
                Dictionary accounts = tx.getRootObject("accounts", Dictionary.class);
                if (accounts == null) {
                    Dictionary.Builder b = Dictionary.builder();
                    for (int i = 0; i < ACCOUNTS; i++) {
                        b.setAt(account(i), INITIAL_BALANCE);
                    }
                    accounts = b.build();
                }
                long a = ((Number) accounts.getAt(account(from))).longValue();
                long b = ((Number) accounts.getAt(account(to))).longValue();
                long amount = (long) (a * share);
                tx.setRootObject("accounts", accounts.setAt(account(from), a - amount).setAt(account(to), b + amount));
                Object c = tx.getRootObject("counter");
                long next = (c == null ? 0 : ((Number) c).longValue()) + 1;
                tx.setRootObject("counter", next);
                if (noteLength > 0) {
                    tx.setRootObject("note", note(next, noteLength));
                }
                return next;
            });
        }

        /** The state this transfer commits on top of {@code before}. */
        Snapshot applyTo(Snapshot before) {
            Map<String, Long> balances = new TreeMap<>(before.balances());
            if (balances.isEmpty()) {
                for (int i = 0; i < ACCOUNTS; i++) {
                    balances.put(account(i), INITIAL_BALANCE);
                }
            }
            long a = balances.get(account(from));
            long amount = (long) (a * share);
            balances.put(account(from), a - amount);
            balances.merge(account(to), amount, Long::sum);
            long next = before.counter() + 1;
            return new Snapshot(next, balances, noteLength > 0 ? note(next, noteLength) : before.note());
        }
    }

    private Bank() {
    }

    static String account(int i) {
        return String.format("acct-%02d", i);
    }

    static String note(long counter, int length) {
        StringBuilder sb = new StringBuilder(length);
        Random r = new Random(counter);
        while (sb.length() < length) {
            sb.append((char) ('a' + r.nextInt(26)));
        }
        return sb.toString();
    }

    /** Commits a random transfer without a note; returns the counter value it committed. */
    static long transfer(Database db, Random rnd) {
        return Transfer.random(rnd, 0).commit(db);
    }

    /** Reads the current committed state of the bank (reading every balance from storage). */
    static Snapshot read(Database db) {
        return db.read(tx -> {
            Object c = tx.getRootObject("counter");
            Dictionary accounts = tx.getRootObject("accounts", Dictionary.class);
            Map<String, Long> balances = new TreeMap<>();
            if (accounts != null) {
                accounts.forEach(e -> balances.put((String) e.getKey(), ((Number) e.getValue()).longValue()));
            }
            return new Snapshot(c == null ? 0 : ((Number) c).longValue(), balances, (String) tx.getRootObject("note"));
        });
    }
}
