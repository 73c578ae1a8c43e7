package io.protobase.collection.internal;

import io.protobase.codec.AtomReferences;
import io.protobase.storage.AtomPointer;

/**
 * A view of a storage that notes the references of the atoms pushed through it (the object space's
 * guard of commits' references), told them by the encoder that wrote each atom instead of reading
 * the atom again. The atom store pushes through it when its storage is one.
 */
public interface ReferenceRecorder {

    /**
     * Pushes {@code atom}, whose references are {@code references}; when those are not
     * {@linkplain AtomReferences#complete() complete}, the atom's bytes are read for them.
     *
     * @param atom the encoded atom, handed over ({@link io.protobase.storage.SharedStorage#pushOwned}): the
     *             caller never changes it again
     * @param references its references, as its encoder wrote them
     * @return where the atom was stored
     */
    AtomPointer push(byte[] atom, AtomReferences references);

    /**
     * Notes the references held inside a value about to be stored out of line: its chunks are raw bytes,
     * which hold no references of their own as far as a scan of them can tell.
     *
     * @param references the references in the value's encoding, {@linkplain AtomReferences#complete()
     *                   complete}
     */
    void held(AtomReferences references);
}
