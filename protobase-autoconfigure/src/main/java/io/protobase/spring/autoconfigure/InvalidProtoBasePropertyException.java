package io.protobase.spring.autoconfigure;

import io.protobase.ProtoBaseException;

/**
 * A {@code protobase.*} property has a value that binds but cannot work (a negative size, a zero
 * timeout). Thrown while binding {@link ProtoBaseProperties}; turned into a startup report naming
 * the property and the fix by {@code ProtoBasePropertiesFailureAnalyzer}.
 */
public class InvalidProtoBasePropertyException extends ProtoBaseException {

    private static final long serialVersionUID = 1L;

    private final String property;
    private final transient Object value;
    private final String fix;

    public InvalidProtoBasePropertyException(String property, Object value, String problem, String fix) {
        super("Invalid value '" + value + "' for property '" + property + "': " + problem + ". " + fix);
        this.property = property;
        this.value = value;
        this.fix = fix;
    }

    /** The full property name, e.g. {@code protobase.cache.max-size}. */
    public String property() {
        return property;
    }

    /** The value given. */
    public Object value() {
        return value;
    }

    /** What to do about it. */
    public String fix() {
        return fix;
    }
}
