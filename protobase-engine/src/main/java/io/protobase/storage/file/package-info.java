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
 * <li>The manifest is written and fsynced at open, at each rotation and at a clean close (after
 * the close record is durable), never by a commit.</li>
 * </ul>
 *
 * <h2>Removing segments (design for compaction)</h2>
 * Today a sealed segment leaves the registry only through {@code releaseSegment} (the cloud
 * storage, which holds another copy of its bytes): {@code LogWriter.detachSealed} takes it out of
 * the registry and out of the unsynced set under the writer's monitor, which also guarantees it is
 * not the segment being appended to, and the file is closed and deleted at once. A read racing
 * with it fails, and the cloud storage reads its other copy. Compaction, which deletes the only
 * copy, must instead wait until no reader can still need the segment, on two levels:
 * <ol>
 * <li><b>Pointers held by the engine</b>: the engine rewrites the live atoms of the segment in an
 * ordinary commit and declares the segment unreferenced only once no retained root, open
 * transaction or history view can reach it. The storage trusts that declaration; it does not
 * track pointers.</li>
 * <li><b>Reads in flight</b>: a reader that looked the segment up before it left the registry may
 * still be reading. Each {@code Segment} gets a reference count: a read pins it while it is
 * registered ({@code Segments.require} and {@code readRaw} increment, the end of the read
 * decrements), removal marks it retired, and whoever brings the count of a retired segment to
 * zero closes and deletes the file. A retired segment can no longer be pinned, so the count
 * cannot rise again. (If the two atomic operations per read ever show up in a profile, an epoch
 * scheme, readers announcing a global epoch and deletion waiting for the older epochs to drain,
 * gives the same guarantee with a cheaper read path.)</li>
 * </ol>
 * Crash safety: before any file is deleted the manifest records the lowest live segment id,
 * fsynced, so that recovery tells a segment dropped on purpose from one that is missing, and
 * deletes files below that id left by a crash in the middle of a drop. The segment being
 * appended to is never dropped, so the checks of the last segment stay as they are.
 */
package io.protobase.storage.file;
