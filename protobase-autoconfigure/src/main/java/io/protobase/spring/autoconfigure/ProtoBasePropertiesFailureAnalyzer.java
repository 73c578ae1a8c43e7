package io.protobase.spring.autoconfigure;

import org.springframework.beans.BeansException;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.convert.ConversionFailedException;

/**
 * Reports a {@code protobase.*} property that does not bind (an unknown storage type, a malformed
 * duration) or binds to an impossible value (a negative size), naming the property, the value, where
 * it was set and what to write instead. Runs before Boot's generic binding analyzer. What a key
 * accepts comes from the starter's configuration metadata ({@link ProtoBasePropertyMetadata}), the
 * list IDEs complete from.
 *
 * <p>A property is blamed only when binding failed on that very property and not in the
 * application's container: the binder reports the last property it read even when the failure
 * came from elsewhere (a default value's conversion that asked a bean which cannot be created), and
 * telling the user to change a valid value sends them the wrong way.
 */
@Order(Ordered.HIGHEST_PRECEDENCE + 100)
class ProtoBasePropertiesFailureAnalyzer extends AbstractFailureAnalyzer<BindException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, BindException cause) {
        InvalidProtoBasePropertyException invalid = findCause(cause, InvalidProtoBasePropertyException.class);
        if (invalid != null) {
            return new FailureAnalysis("ProtoBase configuration is invalid: " + invalid.getMessage(),
                    invalid.fix() + " (property " + invalid.property() + ").", cause);
        }
        String target = cause.getName().toString();
        if (!target.equals("protobase") && !target.startsWith("protobase.")) {
            return null;
        }
        ConfigurationProperty property = cause.getProperty();
        Throwable reason = mostSpecific(cause);
        if (findCause(cause, BeansException.class) != null
                || (property != null && !property.getName().equals(cause.getName()))) {
            return new FailureAnalysis("ProtoBase cannot bind its configuration under '" + target + "' because of a "
                    + "failure outside it: " + reason.getClass().getName() + ": " + reason.getMessage()
                    + ". No protobase.* value caused it.",
                    "Fix the failure above (for example a bean, converter or resource resolver of the application "
                            + "that cannot be created); the protobase.* properties need no change.", cause);
        }
        if (property == null) {
            return null;
        }
        String name = property.getName().toString();
        String origin = property.getOrigin() != null ? " (set in " + property.getOrigin() + ")" : "";
        ConversionFailedException conversion = findCause(cause, ConversionFailedException.class);
        Class<?> type = conversion != null ? conversion.getTargetType().getType() : null;
        String problem = type != null && type.isEnum()
                ? "which is not one of " + ProtoBasePropertyMetadata.validValues(type)
                : "which cannot be used: " + reason.getMessage();
        String expected = ProtoBasePropertyMetadata.load(getClass().getClassLoader()).expected(name)
                .orElse(type != null && type.isEnum() ? "one of " + ProtoBasePropertyMetadata.validValues(type)
                        : "a valid value (see docs/configuration.md)");
        return new FailureAnalysis("ProtoBase configuration is invalid: property '" + name + "' has value '"
                + property.getValue() + "'" + origin + ", " + problem + ".", "Set " + name + " to " + expected + ".",
                cause);
    }

    private static Throwable mostSpecific(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }
}
