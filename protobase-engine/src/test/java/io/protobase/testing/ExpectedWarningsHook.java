package io.protobase.testing;

import java.util.List;

import net.jqwik.api.lifecycle.AroundContainerHook;
import net.jqwik.api.lifecycle.ContainerLifecycleContext;

/** The jqwik side of {@link ExpectedWarnings}: registers a container's declaration while it runs. */
public final class ExpectedWarningsHook implements AroundContainerHook {

    @Override
    public void beforeContainer(ContainerLifecycleContext context) {
        declared(context).forEach(ExpectedWarningsFilter::expect);
    }

    @Override
    public void afterContainer(ContainerLifecycleContext context) {
        declared(context).forEach(ExpectedWarningsFilter::forget);
    }

    private static List<ExpectedWarningsFilter.Expectation> declared(ContainerLifecycleContext context) {
        return context.findAnnotation(ExpectedWarnings.class)
                .map(ExpectedWarningsFilter.Expectation::of)
                .orElse(List.of());
    }
}
