package io.jdpo.llama;

import java.lang.foreign.MemorySegment;

/**
 * A llama.cpp object owned by one Java object. After {@link #close()} every use fails with
 * {@link IllegalStateException} instead of handing a freed pointer to native code.
 */
abstract class NativeHandle implements AutoCloseable {
    private final String what;
    private MemorySegment pointer;

    NativeHandle(String what, MemorySegment pointer) {
        if (pointer == null || pointer.equals(MemorySegment.NULL)) {
            throw new LlamaException("llama.cpp returned no " + what);
        }
        this.what = what;
        this.pointer = pointer;
    }

    /** The live pointer; throws once closed. */
    final synchronized MemorySegment ptr() {
        if (pointer == null) {
            throw new IllegalStateException(what + " is closed");
        }
        return pointer;
    }

    final synchronized boolean isClosed() {
        return pointer == null;
    }

    @Override
    public final synchronized void close() {
        if (pointer != null) {
            MemorySegment p = pointer;
            pointer = null;
            free(p);
        }
    }

    /** Releases the native object; called at most once. */
    abstract void free(MemorySegment pointer);
}
