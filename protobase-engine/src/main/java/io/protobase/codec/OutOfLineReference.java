package io.protobase.codec;

import io.protobase.storage.AtomPointer;

import java.util.List;

/**
 * Where a value stored out of line lives: the chunk atoms whose payloads, concatenated, are the
 * value's ordinary tagged encoding. Written as tag {@link Tags#OUT_OF_LINE} in place of the value
 * (see {@code docs/atom-format.md}), so a node or record that holds a large value stays small and a
 * reader that does not need the value never reads its chunks.
 *
 * @param depth the value's nesting depth (lists, records and collections around its scalars), so a
 *              holder can bound its own nesting without loading the value
 * @param length the length in bytes of the value's encoding, the sum of the chunk payloads
 * @param chunks the chunk atoms, in order; at least one
 */
public record OutOfLineReference(int depth, int length, List<AtomPointer> chunks) {

    public OutOfLineReference {
        chunks = List.copyOf(chunks);
    }

    /** The pointer that names the value, for caching: its first chunk, which no other value shares. */
    public AtomPointer first() {
        return chunks.get(0);
    }
}
