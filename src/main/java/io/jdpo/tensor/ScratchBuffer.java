package io.jdpo.tensor;

import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

/**
 * A primitive array per thread, kept between calls: kernels run many times per forward on the
 * same few worker threads, and fresh arrays each call would be garbage the heap has to make
 * room for (a decoded panel of an FFN weight is 720 KiB). Each instance serves one kind of
 * buffer, so a kernel that holds one while calling another kernel never shares it.
 *
 * @param <T> the primitive array type
 */
public final class ScratchBuffer<T> {
    private final ThreadLocal<T> local = new ThreadLocal<>();
    private final IntFunction<T> allocate;
    private final ToIntFunction<T> length;

    private ScratchBuffer(IntFunction<T> allocate, ToIntFunction<T> length) {
        this.allocate = allocate;
        this.length = length;
    }

    /**
     * A new kind of float buffer.
     *
     * @return a buffer of floats per thread
     */
    public static ScratchBuffer<float[]> floats() {
        return new ScratchBuffer<>(float[]::new, a -> a.length);
    }

    static ScratchBuffer<byte[]> bytes() {
        return new ScratchBuffer<>(byte[]::new, a -> a.length);
    }

    static ScratchBuffer<short[]> shorts() {
        return new ScratchBuffer<>(short[]::new, a -> a.length);
    }

    /**
     * This thread's array, with at least n elements.
     *
     * @param n the elements wanted
     * @return the array, contents unspecified
     */
    public T get(int n) {
        T b = local.get();
        if (b == null || length.applyAsInt(b) < n) {
            b = allocate.apply(n);
            local.set(b);
        }
        return b;
    }
}
