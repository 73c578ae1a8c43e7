package io.protobase.spring.autoconfigure;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reports a {@code protobase.*} property that does not bind (an unknown storage type, a malformed
 * duration) or binds to an impossible value (a negative size), naming the property, the value, where
 * it was set and what to write instead. Runs before Boot's generic binding analyzer.
 */
@Order(Ordered.HIGHEST_PRECEDENCE + 100)
class ProtoBasePropertiesFailureAnalyzer extends AbstractFailureAnalyzer<BindException> {

    private static final Map<String, String> EXPECTED = Map.of(
            "protobase.enabled", "true or false",
            "protobase.storage.type", "one of " + Arrays.stream(StorageType.values()).map(StorageType::value)
                    .collect(Collectors.joining(", ")) + " (cloud and cluster types need their own modules)",
            "protobase.storage.file.fsync", "one of commit, interval, none",
            "protobase.storage.file.fsync-interval", "a positive duration such as 1s or 200ms",
            "protobase.storage.file.segment-size", "a data size between 64KB and 1GB, such as 64MB",
            "protobase.storage.file.path", "a directory path such as ./protobase-data",
            "protobase.cache.max-size", "a positive data size such as 128MB",
            "protobase.commit.group-delay", "a duration such as 1ms, or 0ms not to wait",
            "protobase.shutdown.timeout", "a duration such as 30s");

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, BindException cause) {
        InvalidProtoBasePropertyException invalid = findCause(cause, InvalidProtoBasePropertyException.class);
        if (invalid != null) {
            return new FailureAnalysis("ProtoBase configuration is invalid: " + invalid.getMessage(),
                    invalid.fix() + " (property " + invalid.property() + ").", cause);
        }
        ConfigurationProperty property = cause.getProperty();
        if (property == null || !property.getName().toString().startsWith("protobase.")) {
            return null;
        }
        String name = property.getName().toString();
        String origin = property.getOrigin() != null ? " (set in " + property.getOrigin() + ")" : "";
        Throwable reason = cause.getCause() != null ? mostSpecific(cause.getCause()) : cause;
        String expected = EXPECTED.getOrDefault(name, "a valid value (see docs/configuration.md)");
        return new FailureAnalysis("ProtoBase configuration is invalid: property '" + name + "' has value '"
                + property.getValue() + "'" + origin + ", which cannot be used: " + reason.getMessage(),
                "Set " + name + " to " + expected + ".", cause);
    }

    private static Throwable mostSpecific(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }
}
