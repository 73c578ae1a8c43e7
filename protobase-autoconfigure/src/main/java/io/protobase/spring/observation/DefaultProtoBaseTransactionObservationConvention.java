package io.protobase.spring.observation;

import io.micrometer.common.KeyValues;

import java.util.Locale;

/**
 * The default names: observation {@value #NAME}, contextual name {@code protobase <kind> <database>},
 * and the low-cardinality keys {@code database}, {@code outcome} ({@code committed},
 * {@code rolled-back}, {@code conflict}, {@code error}), {@code attempts} and {@code kind}
 * ({@code managed}, {@code write}, {@code read}). Every key has a bounded set of values: attempts
 * are at most {@link io.protobase.Database#WRITE_ATTEMPTS}.
 *
 * <p>With Boot's metrics the observation is also a timer named {@value #NAME}, beside the
 * {@code protobase.transactions} counter and {@code protobase.commit} timer, which keep their names.
 */
public class DefaultProtoBaseTransactionObservationConvention implements ProtoBaseTransactionObservationConvention {

    /** The observation name. */
    public static final String NAME = "protobase.transaction";

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public String getContextualName(ProtoBaseTransactionContext context) {
        return "protobase " + kind(context) + " " + context.getDatabase();
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(ProtoBaseTransactionContext context) {
        return KeyValues.of("database", context.getDatabase(), "outcome", context.getOutcome().value(),
                "attempts", Integer.toString(context.getAttempts()), "kind", kind(context));
    }

    private static String kind(ProtoBaseTransactionContext context) {
        return context.getKind().name().toLowerCase(Locale.ROOT);
    }
}
