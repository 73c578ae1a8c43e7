package io.protobase;

/**
 * What one compaction did ({@link ObjectSpace#compact()}).
 *
 * @param segmentsRewritten segments whose live atoms were rewritten (the emptiest sealed ones)
 * @param atomsRewritten atoms pushed again: the live atoms of those segments and their ancestors
 * @param bytesRewritten bytes those atoms took
 * @param segmentsReleased segments the storage released, rewritten by this run or an earlier one
 * @param bytesReleased bytes those segments held
 * @param sequence sequence number of the version the rewrite was published as, or of the current
 *        version when nothing needed rewriting
 */
public record CompactionResult(int segmentsRewritten, long atomsRewritten, long bytesRewritten,
        int segmentsReleased, long bytesReleased, long sequence) {
}
