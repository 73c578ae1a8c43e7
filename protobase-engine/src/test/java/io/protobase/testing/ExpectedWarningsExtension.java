package io.protobase.testing;

import java.lang.reflect.AnnotatedElement;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Registers a test's {@link ExpectedWarnings} with {@link ExpectedWarningsFilter} for as long as the
 * annotated class or method runs.
 */
final class ExpectedWarningsExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(ExpectedWarningsExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        register(context, context.getRequiredTestClass());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        unregister(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        register(context, context.getRequiredTestMethod());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        unregister(context);
    }

    private static void register(ExtensionContext context, AnnotatedElement element) {
        Optional<ExpectedWarnings> declared = AnnotationSupport.findAnnotation(element, ExpectedWarnings.class);
        if (declared.isEmpty()) {
            return;
        }
        List<ExpectedWarningsFilter.Expectation> expectations = ExpectedWarningsFilter.Expectation.of(declared.get());
        expectations.forEach(ExpectedWarningsFilter::expect);
        context.getStore(NAMESPACE).put(ExpectedWarningsExtension.class, expectations);
    }

    @SuppressWarnings("unchecked")
    private static void unregister(ExtensionContext context) {
        List<ExpectedWarningsFilter.Expectation> expectations = (List<ExpectedWarningsFilter.Expectation>)
                context.getStore(NAMESPACE).remove(ExpectedWarningsExtension.class, List.class);
        if (expectations != null) {
            expectations.forEach(ExpectedWarningsFilter::forget);
        }
    }
}
