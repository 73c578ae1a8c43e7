package io.protobase.spring.autoconfigure;

import org.springframework.beans.BeansException;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.convert.ConversionFailedException;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reports a {@code protobase.*} property that does not bind (an unknown storage type, a malformed
 * duration) or binds to an impossible value (a negative size), naming the property, the value, where
 * it was set and what to write instead. Runs before Boot's generic binding analyzer.
 *
 * <p>A property is blamed only when binding failed on that very property and not in the
 * application's container: the binder reports the last property it read even when the failure
 * came from elsewhere (a default value's conversion that asked a bean which cannot be created), and
 * telling the user to change a valid value sends them the wrong way.
 */
@Order(Ordered.HIGHEST_PRECEDENCE + 100)
class ProtoBasePropertiesFailureAnalyzer extends AbstractFailureAnalyzer<BindException> {

    private static final Map<String, String> EXPECTED = Map.ofEntries(
            Map.entry("protobase.enabled", "true or false"),
            Map.entry("protobase.storage.type", "one of " + validValues(StorageType.class)),
            Map.entry("protobase.storage.file.path", "a directory path such as ./protobase-data"),
            Map.entry("protobase.storage.file.fsync", "one of commit, interval, none"),
            Map.entry("protobase.storage.file.fsync-interval", "a positive duration such as 1s or 200ms"),
            Map.entry("protobase.storage.file.segment-size", "a data size between 64KB and 1GB, such as 64MB"),
            Map.entry("protobase.storage.cloud.cache-dir", "a directory path such as ./protobase-cache"),
            Map.entry("protobase.storage.cloud.cache-size", "a data size such as 500MB"),
            Map.entry("protobase.storage.cloud.object-size", "a data size between 64KB and 1GB, such as 5MB"),
            Map.entry("protobase.storage.cloud.upload-interval", "a positive duration such as 5s"),
            Map.entry("protobase.storage.cloud.durability", "one of async, sync"),
            Map.entry("protobase.storage.cloud.max-backlog", "a positive data size such as 1GB"),
            Map.entry("protobase.cache.max-size", "a positive data size such as 128MB"),
            Map.entry("protobase.commit.group-delay", "a duration such as 1ms, or 0ms not to wait"),
            Map.entry("protobase.history.retention", "a duration such as 1m, 2h or 7d, or 0s to keep no history"),
            Map.entry("protobase.history.max-space-ratio", "a positive number such as 0.5, or Infinity"),
            Map.entry("protobase.compaction.interval", "a duration such as 30s, or 0s to run none"),
            Map.entry("protobase.compaction.live-fraction", "a fraction between 0 and 1 such as 0.5"),
            Map.entry("protobase.compaction.min-dead-bytes", "a data size such as 1MB"),
            Map.entry("protobase.compaction.bytes-per-second", "a positive data size such as 8MB"),
            Map.entry("protobase.shutdown.timeout", "a duration such as 30s"));

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
        String problem = type != null && type.isEnum() ? "which is not one of " + validValues(type)
                : "which cannot be used: " + reason.getMessage();
        String expected = EXPECTED.getOrDefault(name, type != null && type.isEnum() ? "one of " + validValues(type)
                : "a valid value (see docs/configuration.md)");
        return new FailureAnalysis("ProtoBase configuration is invalid: property '" + name + "' has value '"
                + property.getValue() + "'" + origin + ", " + problem + ".", "Set " + name + " to " + expected + ".",
                cause);
    }

    /** The values an enum property accepts, as written in configuration. */
    private static String validValues(Class<?> enumType) {
        return Arrays.stream(enumType.getEnumConstants())
                .map(c -> c instanceof StorageType t ? t.value()
                        : ((Enum<?>) c).name().toLowerCase(Locale.ROOT).replace('_', '-'))
                .collect(Collectors.joining(", "));
    }

    private static Throwable mostSpecific(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }
}
