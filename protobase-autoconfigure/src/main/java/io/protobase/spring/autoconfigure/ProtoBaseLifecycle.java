package io.protobase.spring.autoconfigure;

import io.protobase.ObjectSpace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import java.time.Duration;

/**
 * Closes the object space gracefully when the application context stops: new transactions are
 * refused at once, running ones get up to {@code protobase.shutdown.timeout} to finish, then the
 * storage is flushed and closed ({@link ObjectSpace#close(Duration)}).
 *
 * <p>Its phase is below the web server's, so a web server with graceful shutdown finishes its
 * in-flight requests (and their transactions) before this runs. A lifecycle that was stopped cannot
 * start again: the space is closed.
 */
public class ProtoBaseLifecycle implements SmartLifecycle {

    /** Stops after the web server (which stops at {@code DEFAULT_PHASE - 1024}) and other clients. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private static final Logger LOG = LoggerFactory.getLogger(ProtoBaseLifecycle.class);

    private final ObjectSpace space;
    private final Duration timeout;
    private volatile boolean running;

    public ProtoBaseLifecycle(ObjectSpace space, Duration timeout) {
        this.space = space;
        this.timeout = timeout;
    }

    @Override
    public void start() {
        running = !space.isClosing();
    }

    @Override
    public void stop() {
        running = false;
        int active = space.activeTransactions();
        if (active > 0) {
            LOG.info("Waiting up to {} for {} running ProtoBase transaction(s) before closing {}", timeout, active,
                    space.storage().describe());
        }
        if (!space.close(timeout)) {
            LOG.warn("ProtoBase transactions still running after protobase.shutdown.timeout={}; closed {} under "
                    + "them (they fail, nothing of them is committed)", timeout, space.storage().describe());
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
