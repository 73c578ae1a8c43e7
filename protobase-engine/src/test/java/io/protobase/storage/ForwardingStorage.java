package io.protobase.storage;

import java.time.Duration;

/** A storage that forwards every call to another one; tests override calls to count or inject faults. */
public class ForwardingStorage implements SharedStorage {

    private final SharedStorage delegate;

    public ForwardingStorage(SharedStorage delegate) {
        this.delegate = delegate;
    }

    /** The storage calls are forwarded to. */
    public SharedStorage delegate() {
        return delegate;
    }

    @Override
    public AtomPointer push(byte[] atom) {
        return delegate.push(atom);
    }

    @Override
    public byte[] read(AtomPointer pointer) {
        return delegate.read(pointer);
    }

    @Override
    public AtomPointer readRoot() {
        return delegate.readRoot();
    }

    @Override
    public CommitLock acquireCommitLock(Duration timeout) {
        return delegate.acquireCommitLock(timeout);
    }

    @Override
    public boolean compareAndSetRoot(CommitLock lock, AtomPointer expected, AtomPointer newRoot) {
        return delegate.compareAndSetRoot(lock, expected, newRoot);
    }

    @Override
    public java.util.Optional<SegmentReclaimer> reclaimer() {
        return delegate.reclaimer();
    }

    @Override
    public void flush() {
        delegate.flush();
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
