package io.protobase.codec;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Holds classes that no code references directly: only their binary names appear, as strings, in
 * encoded data. Each flips a flag when initialized, so a test can prove decoding never touched them.
 */
final class ClassLoadingCanary {

    static final String ENUM_NAME = "io.protobase.codec.ClassLoadingCanary$Kind";
    static final String CLASS_NAME = "io.protobase.codec.ClassLoadingCanary$Payload";
    /** Loaded on purpose by the test, to prove its class-load detector sees loads. */
    static final String CONTROL_NAME = "io.protobase.codec.ClassLoadingCanary$Control";

    static final AtomicBoolean KIND_INITIALIZED = new AtomicBoolean();
    static final AtomicBoolean PAYLOAD_INITIALIZED = new AtomicBoolean();

    private ClassLoadingCanary() {
    }

    enum Kind {
        A,
        B;

        static {
            KIND_INITIALIZED.set(true);
        }
    }

    static final class Payload {
        static {
            PAYLOAD_INITIALIZED.set(true);
        }
    }

    static final class Control {
    }
}
