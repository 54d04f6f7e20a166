package io.jdpo.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Access to off-heap float segments (adapter weights, gradients, optimizer moments): single
 * values, copies to the heap for the dense kernels, and a Vector API accumulation from the
 * heap with its scalar reference. Segments hold
 * little-endian floats, GGUF's byte order, so they can be written to a file as they are.
 */
public final class SegmentMath {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    private SegmentMath() {
    }

    /**
     * One float of a segment.
     *
     * @param s the segment of little-endian floats
     * @param i the float's index (not its byte offset)
     * @return the value
     * @throws IndexOutOfBoundsException if the float lies outside the segment
     */
    public static float get(MemorySegment s, long i) {
        return s.get(FLOAT, i * Float.BYTES);
    }

    /**
     * Writes one float of a segment.
     *
     * @param s the segment of little-endian floats
     * @param i the float's index (not its byte offset)
     * @param v the value
     * @throws IndexOutOfBoundsException if the float lies outside the segment
     */
    public static void set(MemorySegment s, long i, float v) {
        s.set(FLOAT, i * Float.BYTES, v);
    }

    /**
     * s[so + i] += alpha · x[xo + i] for i &lt; n: accumulating into a gradient.
     * The vector path fuses each multiply-add, the scalar one does not.
     *
     * @param alpha the scale of x
     * @param x     the values to add
     * @param xo    index in {@code x} of the first
     * @param s     the segment of little-endian floats added to
     * @param so    index (in floats) of the first float of {@code s} added to
     * @param n     the number of floats
     */
    public static void axpy(float alpha, float[] x, int xo, MemorySegment s, long so, int n) {
        if (!Simd.VECTOR) {
            axpyScalar(alpha, x, xo, s, so, n);
            return;
        }
        FloatVector a = FloatVector.broadcast(F, alpha);
        int i = 0, bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            long off = (so + i) * Float.BYTES;
            FloatVector.fromArray(F, x, xo + i).fma(a, FloatVector.fromMemorySegment(F, s, off, LE)).intoMemorySegment(s, off, LE);
        }
        for (; i < n; i++) set(s, so + i, get(s, so + i) + alpha * x[xo + i]);
    }

    /**
     * Scalar reference of {@link #axpy}.
     *
     * @param alpha the scale of x
     * @param x     the values to add
     * @param xo    index in {@code x} of the first
     * @param s     the segment of little-endian floats added to
     * @param so    index (in floats) of the first float of {@code s} added to
     * @param n     the number of floats
     */
    public static void axpyScalar(float alpha, float[] x, int xo, MemorySegment s, long so, int n) {
        for (int i = 0; i < n; i++) set(s, so + i, get(s, so + i) + alpha * x[xo + i]);
    }

    /**
     * The segment's floats as a heap array: a working copy for the dense kernels.
     *
     * @param s a segment of little-endian floats, a whole number of them
     * @return a new array; later writes to either side are not seen by the other
     */
    public static float[] toArray(MemorySegment s) {
        return s.toArray(FLOAT);
    }

    /**
     * s[i] += alpha · x[i] over the whole segment (x has as many values).
     *
     * @param s     the segment of little-endian floats added to
     * @param alpha the scale of x
     * @param x     the values to add, one per float of {@code s}
     */
    public static void addScaled(MemorySegment s, float alpha, float[] x) {
        axpy(alpha, x, 0, s, 0, x.length);
    }
}
