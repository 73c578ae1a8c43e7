/**
 * Single-node storage in a directory: {@link io.protobase.storage.file.StandaloneFileStorage}, a
 * crash-safe write-ahead log of atoms and commit records, and
 * {@link io.protobase.storage.file.FileBlockProvider}, the directory it lives in. Depends on
 * {@code io.protobase} (exceptions) and {@code io.protobase.storage} (the SPI) only. The on-disk
 * format is specified in {@code docs/file-format.md}.
 *
 * <h2>Pieces</h2>
 * The public façade {@code StandaloneFileStorage} implements the SPI by delegating to
 * package-private classes with one job each:
 * <ul>
 * <li>{@code Segments}: the registry of open segment files ({@code Segment}), the reads of atom
 * records and raw bytes from them, and the interrupt-safe channel I/O everything goes through;</li>
 * <li>{@code LogWriter}: appends records through a buffer, preallocates, rotates and seals
 * segments, fsyncs them, writes the close record and the {@code LogManifest};</li>
 * <li>{@code GroupSync}: group commit: one fsync for every root update appended before it, and the
 * publication of the newest durable root; {@code IntervalFsync}: the background fsync of
 * {@link io.protobase.storage.file.FsyncPolicy#INTERVAL};</li>
 * <li>{@code LogRecovery}: at open, checks the segments against the manifest and the checkpoints,
 * finds the last durable commit, repairs what a crash leaves (torn tail, residue of a segment
 * creation) and hands over a positioned {@code LogWriter};</li>
 * <li>{@code LogHealth}: closed, or poisoned by a failed write or fsync;
 * {@code WalFormat}: the record and header layout.</li>
 * </ul>
 * All of them log under the {@code StandaloneFileStorage} logger, the one category users configure
 * for the file storage.
 *
 * <h2>Locks</h2>
 * <ul>
 * <li>The <b>commit lock</b> ({@code LocalCommitLock}) admits one committer at a time to the root
 * update; it guards no data structure.</li>
 * <li>The <b>writer's monitor</b> guards the append buffer, the segment being appended to, the
 * set of segments with unsynced bytes, the newest root appended and its sequence number, every
 * manifest write, each segment's allocated length and the growth of its written length, and the
 * transition to closed. It is not held during an fsync of a commit batch.</li>
 * <li>The <b>group-sync monitor</b> guards the sync token, the durable sequence number and the
 * published root; it is never held while the writer's monitor is taken or during I/O, nor the
 * other way round.</li>
 * <li>A <b>segment's monitor</b> (innermost) guards its fsynced length and the replacement or
 * closing of its channel.</li>
 * <li>The registry is a concurrent map; readers take no lock, and check a pointer against the
 * volatile written length (an atom still in the buffer is read under the writer's monitor).</li>
 * </ul>
 *
 * <h2>What is durable when</h2>
 * <ul>
 * <li>An appended record is in the OS once its buffer is written (at each commit record); it is
 * durable once its segment has been fsynced past it.</li>
 * <li>A commit record is fsynced only together with, or after, every atom it references (they come
 * before it in the log); with {@link io.protobase.storage.file.FsyncPolicy#COMMIT} its root becomes
 * visible only once durable. With {@code INTERVAL} or {@code NONE} it is visible once written to
 * the OS, and durable after the next periodic fsync or when the OS writes it.</li>
 * <li>A segment is sealed (preallocated zeros cut, fsynced) before the next one is created; the
 * next one's header and checkpoint, which records the sealed one's final length, are fsynced with
 * the directory entry before anything is appended to it; only then does the manifest name it.</li>
 * <li>The manifest is written and fsynced at open, at each rotation, at a clean close (after
 * the close record is durable) and after a compaction release, never by a commit.</li>
 * </ul>
 *
 * <h2>Removing segments</h2>
 * A sealed segment leaves the registry in two ways. The cloud storage, which holds another copy of
 * its bytes, evicts it ({@code releaseSegment}); compaction releases it through the
 * {@link io.protobase.storage.SegmentReclaimer} once the engine proved no retained version reaches
 * it, and there the file is the only copy. Either way {@code LogWriter.detachSealed} takes it out
 * of the registry and out of the unsynced set under the writer's monitor, which also guarantees it
 * is not the segment being appended to, and the segment is retired. Waiting until no reader can
 * still need it works on two levels:
 * <ol>
 * <li><b>Pointers held by the engine</b>: the engine rewrites the live atoms of the segment in an
 * ordinary commit and declares the segment unreferenced only once no retained root, open
 * transaction or history view can reach it. The storage trusts that declaration; it does not
 * track pointers.</li>
 * <li><b>Reads in flight</b>: each {@code Segment} has a pin count: a read pins it while it is
 * registered ({@code Segments.require} and {@code readRaw}; an fsync planned before the release
 * too), the end of the read unpins it, retiring marks it, and whoever brings the count of a retired
 * segment to zero closes and deletes the file. A retired segment can no longer be pinned, so the
 * count cannot rise again. (If the two atomic operations per read ever show up in a profile, an
 * epoch scheme, readers announcing a global epoch and deletion waiting for the older epochs to
 * drain, gives the same guarantee with a cheaper read path.)</li>
 * </ol>
 * Crash safety of a compaction release: before any file is deleted its id is appended to the
 * {@code ReleaseLog} ({@code protobase.released}) and fsynced, a set since compaction releases
 * arbitrary sealed segments. Recovery does not open the segments it lists, answers reads into them
 * with {@link io.protobase.SegmentReleasedException}, and deletes their files when a crash in the
 * middle of a release left them; a segment missing without a record is still reported as missing.
 * The manifest records how long the release log was, so a release log lost or cut short fails the
 * open. The segment being appended to is never released, so the checks of the last segment stay as
 * they are. Releases are serialised by the release log's monitor; the writer's monitor is taken
 * inside it for short calls (the segment being written, the manifest, {@code detachSealed}), never
 * the other way round.
 */
package io.protobase.storage.file;
