package io.protobase.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ExtendWith;

import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * Declares the warnings a test provokes on purpose (recovery after an injected crash, an S3 outage, a
 * context that must fail to start), so the build's console shows only warnings nobody expected.
 *
 * <p>Works on JUnit Jupiter classes and methods and on jqwik containers. While the annotated class
 * (or method) runs, WARN and ERROR events of the named loggers whose
 * message matches one of {@link #messages()} are kept off the console by {@link ExpectedWarningsFilter}.
 * They are still written, with everything else the tests log, to {@code target/test-logs/tests.log}.
 * Test classes run concurrently, so keep the declaration narrow: a logger and, where the message names
 * something the test owns (its directory, bucket prefix), a pattern that matches only those.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(ExpectedWarningsExtension.class)
@AddLifecycleHook(ExpectedWarningsHook.class)
public @interface ExpectedWarnings {

    /** Loggers whose warnings are expected: a class, or a package or logger name prefix. */
    Class<?>[] value() default {};

    /** Loggers by name prefix, for loggers of other libraries (e.g. {@code org.springframework.context}). */
    String[] loggers() default {};

    /** Regular expressions; an event is expected when its formatted message contains a match. */
    String[] messages() default ".*";
}
