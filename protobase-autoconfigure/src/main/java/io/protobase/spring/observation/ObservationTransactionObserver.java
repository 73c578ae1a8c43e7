package io.protobase.spring.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.protobase.Database;
import io.protobase.spring.transaction.TransactionObserver;
import org.jspecify.annotations.Nullable;

import java.util.Objects;

/**
 * Observes each transaction as one {@link Observation} on an {@link ObservationRegistry}, opened in
 * scope on the transaction's thread while it runs, so that observations started inside it (an HTTP
 * client call, a nested span) are its children.
 */
public class ObservationTransactionObserver implements TransactionObserver {

    private static final ProtoBaseTransactionObservationConvention DEFAULT =
            new DefaultProtoBaseTransactionObservationConvention();

    private final ObservationRegistry registry;
    private final @Nullable ProtoBaseTransactionObservationConvention convention;

    /**
     * Creates the observer.
     *
     * @param registry where observations go
     * @param convention the application's convention, {@code null} for the default one
     */
    public ObservationTransactionObserver(ObservationRegistry registry,
            @Nullable ProtoBaseTransactionObservationConvention convention) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.convention = convention;
    }

    @Override
    public Observed start(Database database, Kind kind) {
        ProtoBaseTransactionContext context = new ProtoBaseTransactionContext(database.name(), kind);
        Observation observation = Observation.createNotStarted(convention, DEFAULT, () -> context, registry).start();
        Observation.Scope scope = observation.openScope();
        return new Observed() {
            @Override
            public void attempt() {
                context.attempt();
            }

            @Override
            public void end(Outcome outcome, @Nullable Throwable error) {
                context.setOutcome(outcome);
                if (error != null) {
                    observation.error(error);
                }
                scope.close();
                observation.stop();
            }
        };
    }
}
