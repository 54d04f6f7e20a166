package io.jdpo.tensor;

/**
 * A float buffer per thread, kept between calls: kernels run many times per forward on the
 * same few worker threads, and fresh buffers each call would be garbage the heap has to make
 * room for (a decoded panel of an FFN weight is 720 KiB). Each instance serves one kind of
 * buffer, so a kernel that holds one while calling another kernel never shares it.
 */
final class ScratchBuffer {
    private final ThreadLocal<float[]> local = new ThreadLocal<>();

    /** At least n floats, contents unspecified. */
    float[] get(int n) {
        float[] b = local.get();
        if (b == null || b.length < n) {
            b = new float[n];
            local.set(b);
        }
        return b;
    }
}
