package io.protobase.codec;

/**
 * A value of the collection layer that can be ordered and hashed like a scalar (a record of named
 * attributes). Lets the codec's total order and stable hash cover records without depending on the
 * layer above.
 */
public interface StructuredValue {

    /** Compares with another structured value under {@link ValueOrder}. */
    int compareStructured(StructuredValue other);

    /** Feeds this value's canonical content into a stable hash. */
    void hashInto(StableHash.Hasher hasher);
}
