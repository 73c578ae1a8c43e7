package io.protobase.index;

import org.jspecify.annotations.Nullable;

/**
 * A value an index path can step into by name: a record, or a dictionary keyed by text. The
 * collection layer implements it, so {@link FieldPath} reaches into its values without the index
 * layer depending on the collections.
 */
public interface FieldSource {

    /**
     * The value stored under {@code name}: {@code null} for a present null, {@link FieldPath#ABSENT}
     * when there is none.
     *
     * @param name a field name or text key
     * @return the value, {@code null}, or {@link FieldPath#ABSENT}
     */
    @Nullable Object fieldOrAbsent(String name);
}
