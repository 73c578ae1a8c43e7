package io.protobase.storage.cloud;

import io.protobase.PrefixInUseException;
import io.protobase.StorageException;
import io.protobase.StorageUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The root object's ETag chain: the only writer of {@code <prefix>root}, and its only conditional
 * writer. At open it claims the next writer epoch ({@code If-None-Match: *} when there is no root,
 * else {@code If-Match} on the ETag it read); after each upload round it replaces the root with
 * {@code If-Match} on the ETag it last wrote, so a writer whose ETag is no longer the current one
 * learns that another writer took over. A put whose reply was lost is recognised by the writer id
 * in the root it reads back. Each writer of the chain is its uploader's thread (the claim runs
 * before that thread starts), so the ETag needs no lock. Protocol: {@code docs/cloud.md}.
 *
 * <p>The cloud cluster storage shares it: there the writer of the chain is the Raft leader's upload
 * loop, which {@link #adopt adopts} the chain when it starts leading and claims it under its own
 * epoch (the Raft term and the cluster's generation) before it uploads.
 */
public final class RootObjectWriter {

    private static final Logger LOG = LoggerFactory.getLogger(CloudFileStorage.class);

    /** What opening found and wrote. */
    record Claim(long epoch, String logId, RootObject previous, boolean continuesLocal, RootObject claimed) {
    }

    /**
     * The root object names another writer, or was deleted: this writer is fenced.
     */
    public static final class TakenOver extends Exception {

        private static final long serialVersionUID = 1L;

        private final transient RootObject there;

        TakenOver(RootObject there) {
            super(null, null, false, false);
            this.there = there;
        }

        /** The root found in place of this writer's, or null when it was deleted. */
        public RootObject there() {
            return there;
        }
    }

    private final CloudBlockProvider provider;
    private final ObjectStore store;
    private final String writerId;
    private final Map<String, String> metadata;
    /** The ETag of the root this writer last wrote (uploader thread, or the opening thread before it starts). */
    private String etag;

    /**
     * @param provider the bucket and prefix
     * @param writerId unique id of this writer, in the root's {@code writer=} line
     * @param metadata user metadata of every root object written (the writer id)
     */
    public RootObjectWriter(CloudBlockProvider provider, String writerId, Map<String, String> metadata) {
        this.provider = provider;
        this.store = provider.store();
        this.writerId = writerId;
        this.metadata = metadata;
    }

    /**
     * Claims the next writer epoch by a conditional write of the root object, and decides whether
     * the local log continues the bucket's history (same log id) or a new log starts from it.
     *
     * @param localLog the id of the log in the cache directory, or null when it holds none
     */
    Claim claim(String localLog) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Optional<ObjectStore.StoredObject> current = store.get(provider.rootKey());
            RootObject previous = current.map(o -> RootObject.parse(o.data(), provider.rootKey())).orElse(null);
            if (previous != null && previous.cluster() != null) {
                throw new PrefixInUseException("The prefix '" + provider.prefix() + "' of " + store.describe()
                        + " holds the database of cloud cluster '" + previous.cluster() + "' (root object "
                        + provider.rootKey() + ", epoch " + previous.epoch() + "); a single-node cloud storage cannot "
                        + "write it. Open it as that cloud cluster, or give this storage another prefix");
            }
            boolean continues = localLog != null && (previous == null || previous.log().equals(localLog));
            if (localLog != null && !continues) {
                Path aside = provider.cacheDirectory().resolve("orphaned-wal-" + System.currentTimeMillis());
                LOG.warn("The local log in {} is not the history of {} (another writer, log {}, took over at "
                                + "epoch {}); commits made here and never uploaded are not part of it. Moving the "
                                + "log to {} and starting from the bucket", provider.walDirectory(), store.describe(),
                        previous.log(), previous.epoch(), aside);
                Files.move(provider.walDirectory(), aside);
                localLog = null;
            }
            String log = continues ? localLog : UUID.randomUUID().toString();
            long next = previous == null ? 1 : previous.epoch() + 1;
            long firstSegment = next << 32 | 1;
            // the live and released lists carry over: a new log adds its segments as it uploads them
            RootObject claim = previous == null
                    ? new RootObject(next, writerId, log, 0, null, continues ? -1 : firstSegment, 0, null, null)
                    : continues
                    ? new RootObject(next, writerId, log, previous.sequence(), previous.root(),
                            previous.uploadedSegment(), previous.uploadedOffset(), previous.segments(),
                                    previous.released())
                    : new RootObject(next, writerId, log, previous.sequence(), previous.root(), firstSegment, 0,
                            previous.segments(), previous.released());
            try {
                etag = current.isEmpty()
                        ? store.putIfAbsent(provider.rootKey(), claim.toBytes(), metadata)
                        : store.putIfMatch(provider.rootKey(), claim.toBytes(), current.get().etag(), metadata);
                return new Claim(next, log, previous, continues, claim);
            } catch (ObjectStore.PreconditionFailedException | StorageUnavailableException e) {
                // another writer opened at the same moment, or the reply was lost: read again
                Optional<ObjectStore.StoredObject> now = store.get(provider.rootKey());
                if (now.isPresent() && writerId.equals(RootObject.parse(now.get().data(), provider.rootKey())
                        .writer())) {
                    etag = now.get().etag();
                    return new Claim(next, log, previous, continues, claim);
                }
                if (attempt >= 5) {
                    throw e instanceof StorageUnavailableException u ? u : new StorageException("Cannot claim a writer "
                            + "epoch on " + store.describe() + " at " + provider.rootKey() + ": other writers keep "
                            + "opening the same prefix; only one process may write a prefix at a time", e);
                }
            }
        }
    }

    /**
     * Replaces the root object with {@code root}, on the condition that it is still the one this
     * writer last wrote.
     *
     * @throws TakenOver when another writer replaced or deleted it
     */
    public void publish(RootObject root) throws TakenOver {
        byte[] body = root.toBytes();
        for (int attempt = 0; ; attempt++) {
            try {
                etag = etag == null ? store.putIfAbsent(provider.rootKey(), body, metadata)
                        : store.putIfMatch(provider.rootKey(), body, etag, metadata);
                return;
            } catch (ObjectStore.PreconditionFailedException e) {
                Optional<ObjectStore.StoredObject> now = store.get(provider.rootKey());
                RootObject there = now.map(o -> RootObject.parse(o.data(), provider.rootKey())).orElse(null);
                if (there != null && writerId.equals(there.writer()) && attempt < 3) {
                    // an earlier put of ours landed although its reply was lost
                    etag = now.get().etag();
                    continue;
                }
                throw new TakenOver(there);
            }
        }
    }

    /**
     * Reads the root object and makes its ETag the one the next {@link #publish} expects (none when
     * there is no root object: the next publish then creates it): for a writer that takes the chain
     * over from another, after it checked that it may.
     *
     * @return the root object, or empty when the prefix has none
     */
    public Optional<RootObject> adopt() {
        Optional<ObjectStore.StoredObject> current = store.get(provider.rootKey());
        etag = current.map(ObjectStore.StoredObject::etag).orElse(null);
        return current.map(o -> RootObject.parse(o.data(), provider.rootKey()));
    }

    /** The epoch the bucket's root object names, or -1 when it cannot be read. */
    public long currentEpoch() {
        try {
            return store.get(provider.rootKey()).map(o -> RootObject.parse(o.data(), provider.rootKey()).epoch())
                    .orElse(-1L);
        } catch (RuntimeException e) {
            return -1;
        }
    }
}
