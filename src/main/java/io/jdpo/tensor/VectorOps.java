package io.jdpo.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector steps the block decoders share: widen small signed integers to floats and
 * apply a block's scale (and offset) in exactly the scalar reference's order of operations,
 * with no fused multiply-add, so both paths round identically.
 */
final class VectorOps {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Bytes that widen to one float vector. */
    static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(F.length() * 8));

    private VectorOps() {
    }

    /** y[i] = q[i] * scale for n values (n a multiple of the float lane count). */
    static void scale(byte[] q, int qOff, float[] y, int yOff, int n, float scale) {
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            FloatVector v = (FloatVector) ByteVector.fromArray(B, q, qOff + i).convertShape(VectorOperators.B2F, F, 0);
            v.mul(scale).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = q[qOff + i] * scale;
    }

    /** y[i] = q[i] * scale + add: ggml's "x*d + m", and "d*x - m" with add = -m (exactly equal in IEEE). */
    static void scaleAdd(byte[] q, int qOff, float[] y, int yOff, int n, float scale, float add) {
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            FloatVector v = (FloatVector) ByteVector.fromArray(B, q, qOff + i).convertShape(VectorOperators.B2F, F, 0);
            v.mul(scale).add(add).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] = q[qOff + i] * scale + add;
    }
}
