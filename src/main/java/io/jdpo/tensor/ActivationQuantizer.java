package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * llama.cpp's CPU backend multiplies a quantized weight by activations it first quantizes
 * itself, to the weight type's {@code vec_dot_type}: Q8_0 blocks of 32 for Q4_0, Q5_0, Q8_0
 * and IQ4_NL, Q8_1 (Q8_0 plus a block sum) for Q4_1 and Q5_1, Q8_K blocks of 256 for the
 * K-quants and IQ4_XS. This class does the same rounding, value for value, and hands back
 * each activation as the number ggml multiplies (block scale × 8-bit integer), so the
 * products that follow compute ggml's block sums. Definitions at the pinned commit:
 * {@code quantize_row_q8_0}/{@code _q8_1} in ggml-cpu/arch/x86/quants.c (max |x| over the
 * block; d = max/127 stored as F16; q = x·(127/max) rounded half to even),
 * {@code quantize_row_q8_K_ref} in ggml-quants.c (the signed value of largest magnitude, the
 * first one met; iscale = −127/max; q = min(127, round-half-even(iscale·x)); d = 1/iscale as
 * an F32); repack.cpp's interleaved versions ({@code ggml_quantize_mat_q8_0_4x8},
 * {@code _q8_K_4x8}) compute the same numbers in another layout.
 */
final class ActivationQuantizer {
    /** ggml's vec_dot_type formats that round activations to 8 bits. */
    enum Format {
        Q8_0(32), Q8_1(32), Q8_K(256);

        final int block;

        Format(int block) {
            this.block = block;
        }
    }

    /**
     * Adding then subtracting 1.5·2^23 rounds a float of magnitude below 2^22 half to even, as
     * ggml's nearest_int does, and gives +0 for a zero, like an integer.
     */
    private static final float ROUNDER = 12582912f;
    private static final VectorSpecies<Float> F = Simd.F;
    /** The byte lanes a float vector converts into (all of them, but at 128 bits: 4 of 8). */
    private static final VectorMask<Byte> FLOAT_LANES_OF_BYTES = Simd.B_FOR_F.indexInRange(0, F.length());

    private ActivationQuantizer() {
    }

    /** The format llama.cpp's CPU backend quantizes activations to before a product with these weights; null for none. */
    static Format formatFor(GgmlType weights) {
        return switch (weights) {
            case Q4_0, Q5_0, Q8_0, IQ4_NL -> Format.Q8_0;
            case Q4_1, Q5_1 -> Format.Q8_1;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS -> Format.Q8_K;
            default -> null;
        };
    }

    /**
     * The activations as ggml multiplies them: {@code out[i] = d_b · q_i} for each block b of
     * x[0..n) (n a multiple of the block). For Q8_1, {@code sumDelta[b]} (when not null) gets
     * s_b − d_b·Σq: ggml takes the block sum s from its F16 field, rounded, and the Q4_1/Q5_1
     * minimum multiplies it, so a product on {@code out} is short of ggml's by m·sumDelta.
     */
    static void roundTrip(Format f, float[] x, int n, float[] out, float[] sumDelta, boolean vector) {
        roundTrip(f, x, 0, n / f.block, out, sumDelta, vector);
    }

    /** As {@link #roundTrip(Format, float[], int, float[], float[], boolean)} for blocks [b0, b1) only. */
    static void roundTrip(Format f, float[] x, int b0, int b1, float[] out, float[] sumDelta, boolean vector) {
        for (int b = b0; b < b1; b++) {
            int o = b * f.block;
            if (f == Format.Q8_K) {
                if (vector) q8KVector(x, o, out);
                else q8KScalar(x, o, out);
            } else {
                float s = vector ? q8_0Vector(x, o, out) : q8_0Scalar(x, o, out);
                if (sumDelta != null) sumDelta[b] = s;
            }
        }
    }

    /**
     * One block of x from x[o] as ggml stores it: its 8-bit codes into q[o, o + block) and the
     * sums of each 16 of them into bsums[o/16, ...), by the rounding {@link #roundTrip} applies.
     *
     * @return the block's value of largest magnitude (the first one met), which sets its scale:
     *         for Q8_K d = 1/(−127/max), for Q8_0 and Q8_1 d = F16(|max|/127) (0 for an all-zero block)
     */
    static float codes(Format f, float[] x, int o, byte[] q, int[] bsums, boolean vector) {
        float max = largest(x, o, f.block, vector), amax = Math.abs(max);
        float scale = amax == 0 ? 0 : f == Format.Q8_K ? -127f / max : 127f / amax;
        if (vector) codesVector(f, x, o, q, bsums, scale);
        else codesScalar(f, x, o, q, bsums, scale);
        return max;
    }

    /** The block's codes, x·scale rounded half to even (at most 127 for Q8_K), and their 16-value sums. */
    private static void codesScalar(Format f, float[] x, int o, byte[] q, int[] bsums, float scale) {
        boolean k = f == Format.Q8_K;
        for (int g = o; g < o + f.block; g += 16) {
            int sum = 0;
            for (int i = g; i < g + 16; i++) {
                int c = (int) Math.rint(x[i] * scale);
                q[i] = (byte) (k ? Math.min(127, c) : c);
                sum += q[i];
            }
            bsums[g / 16] = sum;
        }
    }

    private static void codesVector(Format f, float[] x, int o, byte[] q, int[] bsums, float scale) {
        int L = F.length();
        boolean k = f == Format.Q8_K;
        // Codes are small integers: their sums in float are exact.
        for (int g = o; g < o + f.block; g += 16) {
            FloatVector sum = FloatVector.zero(F);
            for (int i = g; i < g + 16; i += L) {
                FloatVector c = FloatVector.fromArray(F, x, i).mul(scale).add(ROUNDER).sub(ROUNDER);
                if (k) c = c.min(127f);
                sum = sum.add(c);
                ByteVector b = (ByteVector) c.convertShape(VectorOperators.F2B, Simd.B_FOR_F, 0);
                if (Simd.B_FOR_F.length() == L) b.intoArray(q, i);
                else b.intoArray(q, i, FLOAT_LANES_OF_BYTES);
            }
            bsums[g / 16] = (int) sum.reduceLanes(VectorOperators.ADD);
        }
    }

    /** One Q8_0/Q8_1 block; returns s − d·Σq (Q8_1's rounding of the block sum). */
    private static float q8_0Scalar(float[] x, int o, float[] out) {
        float amax = 0;
        for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[o + i]));
        float d = amax / 127f, id = amax != 0 ? 127f / amax : 0f;
        float dq = f16(d);
        int sum = 0;
        for (int i = 0; i < 32; i++) {
            // Through int, as ggml stores it: a rounded −0.3 is the integer 0, not −0.0.
            float q = (int) Math.rint(x[o + i] * id);
            sum += (int) q;
            out[o + i] = dq * q;
        }
        return sumDelta(d, dq, sum);
    }

    private static float q8_0Vector(float[] x, int o, float[] out) {
        int L = F.length();
        FloatVector m = FloatVector.zero(F);
        for (int i = 0; i < 32; i += L) m = m.max(FloatVector.fromArray(F, x, o + i).abs());
        float amax = m.reduceLanes(VectorOperators.MAX);
        float d = amax / 127f, id = amax != 0 ? 127f / amax : 0f;
        float dq = f16(d);
        FloatVector sum = FloatVector.zero(F);
        for (int i = 0; i < 32; i += L) {
            FloatVector q = FloatVector.fromArray(F, x, o + i).mul(id).add(ROUNDER).sub(ROUNDER);
            sum = sum.add(q);
            q.mul(dq).intoArray(out, o + i);
        }
        // The lanes hold small integers (|Σ| ≤ 32·127), so their float sum is exact.
        return sumDelta(d, dq, (int) sum.reduceLanes(VectorOperators.ADD));
    }

    /** quantize_row_q8_1 stores s = F16(d · Σq) with d before its own rounding to F16. */
    private static float sumDelta(float d, float dq, int sum) {
        return (float) ((double) f16(d * sum) - (double) dq * sum);
    }

    /**
     * The first value of largest magnitude in x[o, o + n), 0 when all are zero. NaNs are passed
     * over, as ggml's comparisons pass them (on vectors, whose maximum a NaN would take, by the
     * scalar loop).
     */
    private static float largest(float[] x, int o, int n, boolean vector) {
        if (vector) {
            int L = F.length();
            FloatVector m = FloatVector.zero(F);
            for (int i = o; i < o + n; i += L) m = m.max(FloatVector.fromArray(F, x, i).abs());
            float amax = m.reduceLanes(VectorOperators.MAX);
            if (amax == 0) return 0;
            for (int i = o; i < o + n && !Float.isNaN(amax); i += L) {
                int first = FloatVector.fromArray(F, x, i).abs().compare(VectorOperators.EQ, amax).firstTrue();
                if (first < L) return x[i + first];
            }
        }
        float amax = 0, max = 0;
        for (int i = o; i < o + n; i++) {
            if (Math.abs(x[i]) > amax) {
                amax = Math.abs(x[i]);
                max = x[i];
            }
        }
        return max;
    }

    private static void q8KScalar(float[] x, int o, float[] out) {
        float max = largest(x, o, 256, false);
        if (max == 0) {
            java.util.Arrays.fill(out, o, o + 256, 0f);
            return;
        }
        float iscale = -127f / max, d = 1 / iscale;
        for (int i = 0; i < 256; i++) out[o + i] = d * Math.min(127, (int) Math.rint(iscale * x[o + i]));
    }

    private static void q8KVector(float[] x, int o, float[] out) {
        int L = F.length();
        // The sign of the scale is that of the first value of largest magnitude.
        float max = largest(x, o, 256, true);
        if (max == 0) {
            java.util.Arrays.fill(out, o, o + 256, 0f);
            return;
        }
        float iscale = -127f / max, d = 1 / iscale;
        for (int i = 0; i < 256; i += L) {
            FloatVector.fromArray(F, x, o + i).mul(iscale).add(ROUNDER).sub(ROUNDER).min(127f).mul(d).intoArray(out, o + i);
        }
    }

    /** GGML_CPU_FP32_TO_FP16 (F16C, round to nearest even) and back. */
    private static float f16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }
}
