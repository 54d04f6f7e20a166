package io.jdpo.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Vector API loops between float arrays (activations) and off-heap float segments (adapter
 * weights, gradients, optimizer moments), each with its scalar reference. Segments hold
 * little-endian floats, GGUF's byte order, so they can be written to a file as they are.
 */
public final class SegmentMath {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    private SegmentMath() {
    }

    public static float get(MemorySegment s, long i) {
        return s.get(FLOAT, i * Float.BYTES);
    }

    public static void set(MemorySegment s, long i, float v) {
        s.set(FLOAT, i * Float.BYTES, v);
    }

    /** Σ x[xo + i] · s[so + i] for i &lt; n (so counted in floats). */
    public static float dot(float[] x, int xo, MemorySegment s, long so, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0, bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, x, xo + i).fma(FloatVector.fromMemorySegment(F, s, (so + i) * Float.BYTES, LE), acc);
        }
        float r = VectorMath.sum(acc);
        for (; i < n; i++) r += x[xo + i] * get(s, so + i);
        return r;
    }

    public static float dotScalar(float[] x, int xo, MemorySegment s, long so, int n) {
        float r = 0;
        for (int i = 0; i < n; i++) r += x[xo + i] * get(s, so + i);
        return r;
    }

    /** s[so + i] += alpha · x[xo + i] for i &lt; n: accumulating into a gradient. */
    public static void axpy(float alpha, float[] x, int xo, MemorySegment s, long so, int n) {
        FloatVector a = FloatVector.broadcast(F, alpha);
        int i = 0, bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            long off = (so + i) * Float.BYTES;
            FloatVector.fromArray(F, x, xo + i).fma(a, FloatVector.fromMemorySegment(F, s, off, LE)).intoMemorySegment(s, off, LE);
        }
        for (; i < n; i++) set(s, so + i, get(s, so + i) + alpha * x[xo + i]);
    }

    public static void axpyScalar(float alpha, float[] x, int xo, MemorySegment s, long so, int n) {
        for (int i = 0; i < n; i++) set(s, so + i, get(s, so + i) + alpha * x[xo + i]);
    }

    /** y[yo + i] += alpha · s[so + i] for i &lt; n: a weight row into activations. */
    public static void axpy(float alpha, MemorySegment s, long so, float[] y, int yo, int n) {
        FloatVector a = FloatVector.broadcast(F, alpha);
        int i = 0, bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            FloatVector.fromMemorySegment(F, s, (so + i) * Float.BYTES, LE).fma(a, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] += alpha * get(s, so + i);
    }

    public static void axpyScalar(float alpha, MemorySegment s, long so, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) y[yo + i] += alpha * get(s, so + i);
    }
}
