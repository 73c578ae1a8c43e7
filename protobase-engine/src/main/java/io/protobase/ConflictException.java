package io.protobase;

/**
 * A transaction could not commit because another transaction committed a change to something it
 * read after its snapshot was taken. Nothing of the failed transaction was published. The work is
 * safe to retry in a new transaction; {@link Database#write} does so automatically.
 */
public class ConflictException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    private final String database;
    private final String root;
    private final transient Object key;

    /**
     * Creates the exception; its message names the database, the root and the key.
     *
     * @param database the database the transaction ran on
     * @param root     the root whose concurrent change caused the conflict
     * @param key      the key inside the root collection that changed, or {@code null} when the whole
     *                 root conflicts
     * @param detail   what the concurrent commit changed
     */
    public ConflictException(String database, String root, Object key, String detail) {
        super("Transaction on database '" + database + "' conflicts with a concurrent commit on root '" + root + "'"
                + (key != null ? " at key " + describe(key) : "") + ": " + detail
                + ". Nothing was committed; retry the transaction (Database.write retries automatically).");
        this.database = database;
        this.root = root;
        this.key = key;
    }

    /**
     * Creates a conflict with its own message, for subclasses whose conflict is not about one root.
     *
     * @param message  what happened, to what, and that retrying may succeed
     * @param database the database, or {@code null} when the conflict is not about one database
     * @param root     the root, or {@code null} when the conflict is not about one root
     */
    protected ConflictException(String message, String database, String root) {
        super(message);
        this.database = database;
        this.root = root;
        this.key = null;
    }

    private static String describe(Object key) {
        return key instanceof String s ? "'" + s + "'" : String.valueOf(key);
    }

    /**
     * The database the transaction ran on.
     *
     * @return the database name, or {@code null} for a {@link CommitContentionException}
     */
    public String database() {
        return database;
    }

    /**
     * The root whose concurrent change caused the conflict.
     *
     * @return the root name, or {@code null} for a {@link CommitContentionException}
     */
    public String root() {
        return root;
    }

    /**
     * The key inside the root collection that changed. It is not serialized with the exception.
     *
     * @return the key, or {@code null} when the whole root conflicts (or after deserialization)
     */
    public Object key() {
        return key;
    }

    @Override
    public boolean isRetryable() {
        return true;
    }
}
