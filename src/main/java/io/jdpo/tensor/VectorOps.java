package io.jdpo.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector steps the block decoders share: widen small signed integers to floats and
 * apply a block's scale (and offset) in exactly the scalar reference's order of operations,
 * with no fused multiply-add, so both paths round identically. Bytes are loaded
 * {@link Simd#B_FOR_F} at a time (at least 64 bits: with 4 float lanes a byte vector of one
 * byte per lane would be 32 bits, which no platform has) and widened part by part.
 */
final class VectorOps {
    static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Byte> B = Simd.B_FOR_F;
    /** Float vectors per loaded byte vector. */
    private static final int PARTS = B.length() / F.length();
    /** Bytes that widen to one whole short vector: half its bits (64 at the narrowest width, 128). */
    private static final VectorSpecies<Byte> B_FOR_S = VectorSpecies.of(byte.class, VectorShape.forBitSize(Simd.S.vectorBitSize() / 2));

    private VectorOps() {
    }

    /** y[i] = q[i] * scale for n values (n a multiple of the float lane count). */
    static void scale(byte[] q, int qOff, float[] y, int yOff, int n, float scale) {
        int i = 0;
        for (; i + B.length() <= n; i += B.length()) {
            ByteVector b = ByteVector.fromArray(B, q, qOff + i);
            for (int p = 0; p < PARTS; p++) {
                ((FloatVector) b.convertShape(VectorOperators.B2F, F, p)).mul(scale).intoArray(y, yOff + i + p * F.length());
            }
        }
        for (; i < n; i++) y[yOff + i] = q[qOff + i] * scale;
    }

    /** y[i] = q[i] * scale + add: ggml's "x*d + m", and "d*x - m" with add = -m (exactly equal in IEEE). */
    static void scaleAdd(byte[] q, int qOff, float[] y, int yOff, int n, float scale, float add) {
        int i = 0;
        for (; i + B.length() <= n; i += B.length()) {
            ByteVector b = ByteVector.fromArray(B, q, qOff + i);
            for (int p = 0; p < PARTS; p++) {
                ((FloatVector) b.convertShape(VectorOperators.B2F, F, p)).mul(scale).add(add).intoArray(y, yOff + i + p * F.length());
            }
        }
        for (; i < n; i++) y[yOff + i] = q[qOff + i] * scale + add;
    }

    /** y[i] = q[i] for n values: codes widened to 16-bit integers for the kernels on shorts. */
    static void widen(byte[] q, int qOff, short[] y, int yOff, int n) {
        int i = 0;
        for (; i + B_FOR_S.length() <= n; i += B_FOR_S.length()) {
            ByteVector.fromArray(B_FOR_S, q, qOff + i).convertShape(VectorOperators.B2S, Simd.S, 0).reinterpretAsShorts().intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = q[qOff + i];
    }
}
