package io.protobase.codec;

/**
 * The closed set of type tags of the atom format, version {@value #FORMAT_VERSION}. The numbers are
 * part of the on-disk format (see {@code docs/atom-format.md}): never renumber, only add.
 */
public final class Tags {

    /**
     * The newest atom format this build reads and writes. An atom starts with the lowest version that
     * can express it: {@value #FIRST_VERSION} unless it holds an {@link #OUT_OF_LINE} reference or is an
     * {@link #ATOM_CHUNK}, which need version {@value #OUT_OF_LINE_VERSION}; so an older build refuses
     * exactly the atoms it cannot read, as "written by a newer ProtoBase".
     */
    public static final byte FORMAT_VERSION = 2;

    /** The version of the first format, still written for atoms that need nothing newer. */
    public static final byte FIRST_VERSION = 1;

    /** The version that introduced out-of-line values ({@link #OUT_OF_LINE}, {@link #ATOM_CHUNK}). */
    public static final byte OUT_OF_LINE_VERSION = 2;

    /** Upper bound of one encoded atom. */
    public static final int MAX_ATOM_BYTES = 64 * 1024 * 1024;

    /** Upper bound of one encoded value stored out of line, across all its chunks. */
    public static final int MAX_VALUE_BYTES = 512 * 1024 * 1024;

    /** Upper bound of the payload of one {@link #ATOM_CHUNK}. */
    public static final int MAX_CHUNK_BYTES = 1024 * 1024;

    /** Maximum nesting of values inside one atom (lists in records in lists...). */
    public static final int MAX_DEPTH = 100;

    // atom kinds (second byte of an atom)
    public static final byte ATOM_LEAF = 1;
    public static final byte ATOM_INTERNAL = 2;
    public static final byte ATOM_RECORD = 3;
    /** A piece of an out-of-line value: raw bytes of its encoding, up to {@link #MAX_CHUNK_BYTES}. */
    public static final byte ATOM_CHUNK = 4;

    // scalar and inline value tags
    public static final byte NULL = 0;
    public static final byte FALSE = 1;
    public static final byte TRUE = 2;
    public static final byte INT = 3;
    public static final byte LONG = 4;
    public static final byte DOUBLE = 5;
    public static final byte BIG_DECIMAL = 6;
    public static final byte BIG_INTEGER = 7;
    public static final byte STRING = 8;
    public static final byte BYTES = 9;
    public static final byte UUID = 10;
    public static final byte INSTANT = 11;
    public static final byte LOCAL_DATE = 12;
    public static final byte LOCAL_DATE_TIME = 13;
    public static final byte DURATION = 14;
    public static final byte ENUM = 15;
    public static final byte LIST = 16;
    public static final byte POINTER = 17;
    /**
     * A value stored in chunk atoms of its own ({@link OutOfLineReference}): only as a tree leaf's value
     * or a record attribute's, where it is read lazily.
     */
    public static final byte OUT_OF_LINE = 18;

    // engine structures, encoded by the collection layer through {@link AtomWriter.Extension}
    public static final byte DB_OBJECT = 32;
    public static final byte DICTIONARY = 40;
    public static final byte HASH_DICTIONARY = 41;
    public static final byte PROTO_LIST = 42;
    public static final byte PROTO_SET = 43;
    public static final byte COUNTED_SET = 44;
    public static final byte REPEATED_KEYS_DICTIONARY = 45;
    /** A list, set or dictionary with secondary indexes: the indexes, then the collection. */
    public static final byte INDEXED = 46;

    private Tags() {
    }
}
