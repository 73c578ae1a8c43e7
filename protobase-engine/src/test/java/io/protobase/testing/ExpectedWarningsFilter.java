package io.protobase.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * The console filter of the tests' {@code logback-test.xml}: lets through WARN and ERROR events that
 * no running test declared with {@link ExpectedWarnings}, and nothing below WARN.
 *
 * <p>The registry is static because logback builds its filters from the configuration file, and
 * Spring Boot resets and reloads that configuration for every application context a test starts;
 * the tests' declarations must survive those reloads. Classes run concurrently, so an expectation is
 * counted: two classes may declare the same one, and it ends when the last of them finishes.
 */
public final class ExpectedWarningsFilter extends Filter<ILoggingEvent> {

    private static final Map<Expectation, Integer> ACTIVE = new ConcurrentHashMap<>();

    static void expect(Expectation expectation) {
        ACTIVE.merge(expectation, 1, Integer::sum);
    }

    static void forget(Expectation expectation) {
        ACTIVE.computeIfPresent(expectation, (e, count) -> count == 1 ? null : count - 1);
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        if (!event.getLevel().isGreaterOrEqual(Level.WARN)) {
            return FilterReply.DENY;
        }
        for (Expectation expectation : ACTIVE.keySet()) {
            if (expectation.matches(event)) {
                return FilterReply.DENY;
            }
        }
        return FilterReply.NEUTRAL;
    }

    /** One logger (a name prefix) and one message pattern that a running test expects. */
    record Expectation(String logger, String message) {

        boolean matches(ILoggingEvent event) {
            String name = event.getLoggerName();
            boolean fromLogger = name.equals(logger) || name.startsWith(logger + ".")
                    || name.startsWith(logger + "$");
            return fromLogger && pattern().matcher(event.getFormattedMessage()).find();
        }

        private Pattern pattern() {
            return PATTERNS.computeIfAbsent(message, Pattern::compile);
        }

        private static final Map<String, Pattern> PATTERNS = new ConcurrentHashMap<>();

        /** The expectations a declaration stands for: each logger with each message pattern. */
        static List<Expectation> of(ExpectedWarnings declared) {
            List<String> loggers = new ArrayList<>(List.of(declared.loggers()));
            for (Class<?> type : declared.value()) {
                loggers.add(type.getName());
            }
            if (loggers.isEmpty()) {
                throw new IllegalArgumentException("@ExpectedWarnings names no logger");
            }
            List<Expectation> expectations = new ArrayList<>();
            for (String logger : loggers) {
                for (String message : declared.messages()) {
                    expectations.add(new Expectation(logger, message));
                }
            }
            return expectations;
        }
    }
}
