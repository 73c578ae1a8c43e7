package io.protobase;

/**
 * Options of {@link ObjectSpace#backup(java.nio.file.Path, BackupOptions)}.
 *
 * @param includeHistory whether the backup also holds the versions the history retention keeps
 *        ({@link ObjectSpace#historyRetention()}), so that {@link Database#at} on the restored space
 *        reaches back as far as it did on the original when the backup was taken; without it the
 *        backup holds the current version only, which is the smallest and fastest copy
 */
public record BackupOptions(boolean includeHistory) {

    /**
     * The current version only: the smallest and fastest backup.
     *
     * @return options without history
     */
    public static BackupOptions defaults() {
        return new BackupOptions(false);
    }

    /**
     * The current version and the retained history.
     *
     * @return options with history
     */
    public static BackupOptions withHistory() {
        return new BackupOptions(true);
    }
}
