package io.jdpo.llama;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * A llama.cpp object owned by one Java object. Every native call on it runs inside
 * {@link #hold()} (a read lock), and {@link #close()} frees the object under the write lock:
 * a close from another thread waits for the calls in flight to return, and calls that start
 * once closing has begun fail with {@link IllegalStateException}. Handing a pointer to native
 * code outside a hold would let a concurrent close free it mid-call, which crashes the JVM.
 */
abstract class NativeHandle implements AutoCloseable {
    private final String what;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean closing;
    private MemorySegment pointer;

    NativeHandle(String what, MemorySegment pointer) {
        if (pointer == null || pointer.equals(MemorySegment.NULL)) {
            throw new LlamaException("llama.cpp returned no " + what);
        }
        this.what = what;
        this.pointer = pointer;
    }

    /** The pointer, valid until the returned hold is closed; close() waits for it. */
    final Hold hold() {
        ReentrantReadWriteLock.ReadLock read = lock.readLock();
        read.lock();
        if (closing) {
            read.unlock();
            throw new IllegalStateException(what + " is closed");
        }
        return new Hold(pointer, read);
    }

    /** Runs one native call on the live pointer. */
    final <T> T call(Function<MemorySegment, T> body) {
        try (Hold h = hold()) {
            return body.apply(h.ptr());
        }
    }

    /** Fails with {@link IllegalStateException} once closed; for Java-side checks only. */
    final void checkOpen() {
        if (closing) {
            throw new IllegalStateException(what + " is closed");
        }
    }

    /**
     * Whether {@link #close()} has begun; from then on every use fails. Safe from any thread.
     *
     * @return true once closing has begun
     */
    public final boolean isClosed() {
        return closing;
    }

    /**
     * Frees the native object; safe to call from any thread and more than once (later calls
     * return at once). Objects that live inside this one (a model's contexts, adapters and
     * samplers; an adapter's attachments) are released first. Waits for native calls in flight
     * on this object to return; calls that start afterwards throw {@link IllegalStateException}.
     */
    @Override
    public final void close() {
        synchronized (this) {
            if (closing) return;
            closing = true;
        }
        // Dependants are released before this handle's write lock is taken, so a thread
        // holding one of theirs while it waits for ours cannot deadlock with us.
        beforeFree();
        ReentrantReadWriteLock.WriteLock write = lock.writeLock();
        write.lock();
        try {
            MemorySegment p = pointer;
            pointer = null;
            free(p);
        } finally {
            write.unlock();
        }
    }

    /** Releases what depends on this object (contexts of a model, attachments of an adapter). */
    void beforeFree() {
    }

    /** Releases the native object; called once, with no call in flight. */
    abstract void free(MemorySegment pointer);

    /** A native call in flight: the pointer it may use, and the lock that keeps it alive. */
    static final class Hold implements AutoCloseable {
        private final MemorySegment pointer;
        private final ReentrantReadWriteLock.ReadLock lock;

        private Hold(MemorySegment pointer, ReentrantReadWriteLock.ReadLock lock) {
            this.pointer = pointer;
            this.lock = lock;
        }

        MemorySegment ptr() {
            return pointer;
        }

        @Override
        public void close() {
            lock.unlock();
        }
    }
}
