package io.protobase.spring.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names the observations of ProtoBase transactions and their keys. Define a bean of this type to
 * replace {@link DefaultProtoBaseTransactionObservationConvention}.
 */
public interface ProtoBaseTransactionObservationConvention extends ObservationConvention<ProtoBaseTransactionContext> {

    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof ProtoBaseTransactionContext;
    }
}
