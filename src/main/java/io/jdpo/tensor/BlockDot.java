package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * ggml's integer block dot products of one quantized weight row with one row of activations
 * quantized to its vec_dot_type, in the float combination of ggml-cpu's portable kernels
 * ({@code ggml_vec_dot_*_generic} in ggml-cpu/quants.c): integer sums per block (per 16 or 32
 * values for the K-quants, scaled by their integer scales), then one float term per block
 * (within a few ulps of the compiled generic kernels, whose float steps the C compiler fuses
 * into multiply-adds).
 * <p>
 * This is the definition the deployed arithmetic of {@link QuantMatrix} is held to: the
 * matrix product computes the same sums from the decoded weights and the rounded activations
 * in float (the values ggml multiplies, so the two differ by float rounding only), on the
 * packed float kernels that reuse each decoded panel for every token. The integer dot itself
 * has a Vector API version at every width ({@link #intDot}) beside its scalar reference.
 */
final class BlockDot {
    private static final VectorSpecies<Integer> I = Simd.I;
    /** Bytes widened part by part to int lanes: at least 64 bits (see {@link Simd}). */
    private static final VectorSpecies<Byte> BI = ByteVector.SPECIES_64.withShape(VectorShape.forBitSize(Math.max(64, I.length() * 8)));
    private static final int PARTS = BI.length() / I.length();

    private BlockDot() {
    }

    /** Activations as ggml stores them after quantize_row_q8_0 / _q8_1 / _q8_K. */
    record Q8(ActivationQuantizer.Format format, byte[] q, float[] d, float[] s, int[] bsums) {
        /** Quantizes n values of x (n a multiple of the block) with ggml's CPU rounding. */
        static Q8 of(ActivationQuantizer.Format f, float[] x, int n) {
            int blocks = n / f.block;
            byte[] q = new byte[n];
            float[] d = new float[blocks], s = new float[blocks];
            int[] bsums = new int[n / 16];
            for (int b = 0; b < blocks; b++) {
                float max = ActivationQuantizer.codes(f, x, b * f.block, q, bsums, Simd.VECTOR), amax = Math.abs(max);
                d[b] = f == ActivationQuantizer.Format.Q8_K ? (amax == 0 ? 0 : 1 / (-127f / max))
                        : Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
                int sum = 0;
                for (int j = b * f.block / 16; j < (b + 1) * f.block / 16; j++) sum += bsums[j];
                s[b] = Float.float16ToFloat(Float.floatToFloat16(amax / 127f * sum));
            }
            return new Q8(f, q, d, s, bsums);
        }
    }

    /** Σ a[ao + i] · b[bo + i] for i &lt; n (n a multiple of 16): the scalar reference. */
    static int intDotScalar(byte[] a, int ao, byte[] b, int bo, int n) {
        int s = 0;
        for (int i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** The same with the Vector API: bytes widened to int lanes, multiplied, summed lane-wise, reduced once. */
    static int intDot(byte[] a, int ao, byte[] b, int bo, int n) {
        if (!Simd.VECTOR) return intDotScalar(a, ao, b, bo, n);
        IntVector acc = IntVector.zero(I);
        for (int i = 0; i < n; i += BI.length()) {
            ByteVector va = ByteVector.fromArray(BI, a, ao + i), vb = ByteVector.fromArray(BI, b, bo + i);
            for (int p = 0; p < PARTS; p++) {
                IntVector x = (IntVector) va.convertShape(VectorOperators.B2I, I, p);
                IntVector y = (IntVector) vb.convertShape(VectorOperators.B2I, I, p);
                acc = acc.add(x.mul(y));
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** The types this class defines products for. */
    static boolean supports(GgmlType t) {
        return switch (t) {
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * ggml's product of the weight row at {@code w[wo..]} ({@code n} values of type t) with
     * the activations a from value {@code ao} on; {@code vector} picks the integer kernel of
     * the 32-value types (the K-quants keep ggml's 8 integer lanes, summed here as it does).
     */
    static float dot(GgmlType t, byte[] w, int wo, Q8 a, int ao, int n, boolean vector) {
        byte[] q = new byte[256];
        float sumf = 0;
        int bytes = t.bytesPerBlock();
        switch (t) {
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL -> {
                for (int b = 0; b < n / 32; b++, wo += bytes) {
                    int ab = (ao / 32) + b;
                    unpack32(t, w, wo, q);
                    int sumi = vector ? intDot(q, 0, a.q, ao + 32 * b, 32) : intDotScalar(q, 0, a.q, ao + 32 * b, 32);
                    float dx = Bytes.f16(w, wo), dy = a.d[ab];
                    if (t == GgmlType.Q4_1 || t == GgmlType.Q5_1) {
                        sumf += (dx * dy) * sumi + Bytes.f16(w, wo + 2) * a.s[ab];
                    } else {
                        sumf += sumi * dx * dy;
                    }
                }
            }
            case Q4_K, Q5_K -> {
                Q45KBlock dec = new Q45KBlock(t == GgmlType.Q5_K);
                int[] sm = new int[2];
                float[] sums = new float[8];
                for (int b = 0; b < n / 256; b++, wo += bytes) {
                    int ab = ao / 256 + b, qa = ao + 256 * b;
                    dec.unpack(w, wo, q, false);
                    int sumiMins = 0;
                    int[] aux32 = new int[8];
                    for (int j = 0; j < 8; j++) {
                        Q45KBlock.scaleMin(w, wo + 4, j, sm);
                        sumiMins += (a.bsums[qa / 16 + 2 * j] + a.bsums[qa / 16 + 2 * j + 1]) * sm[1];
                        // ggml's portable kernel keeps 8 integer lanes (the products at l, l+8,
                        // l+16, l+24 of each run, times its scale) and scales each lane in float.
                        for (int l = 0; l < 8; l++) aux32[l] += sm[0] * laneSum(q, 32 * j, a.q, qa + 32 * j, l);
                    }
                    float d = Bytes.f16(w, wo) * a.d[ab];
                    for (int l = 0; l < 8; l++) sums[l] += d * aux32[l];
                    float dmin = Bytes.f16(w, wo + 2) * a.d[ab];
                    sumf -= dmin * sumiMins;
                }
                for (int l = 0; l < 8; l++) sumf += sums[l];
            }
            case Q6_K -> {
                float[] sums = new float[8];
                for (int b = 0; b < n / 256; b++, wo += bytes) {
                    int ab = ao / 256 + b, qa = ao + 256 * b;
                    Q6KBlock.unpack(w, wo, q);
                    int[] aux32 = new int[8];
                    for (int j = 0; j < 16; j++) {
                        int scale = w[wo + 192 + j];
                        for (int l = 0; l < 8; l++) aux32[l] += scale * laneSum16(q, 16 * j, a.q, qa + 16 * j, l);
                    }
                    float d = Bytes.f16(w, wo + 208) * a.d[ab];
                    for (int l = 0; l < 8; l++) sums[l] += d * aux32[l];
                }
                for (int l = 0; l < 8; l++) sumf += sums[l];
            }
            default -> throw new UnsupportedTypeException("(block dot)", t);
        }
        return sumf;
    }

    /** Lane l of ggml's generic 8-lane accumulation over 32 values: the products at l, l+8, l+16, l+24. */
    private static int laneSum(byte[] w, int wo, byte[] a, int ao, int l) {
        int s = 0;
        for (int k = l; k < 32; k += 8) s += w[wo + k] * a[ao + k];
        return s;
    }

    /** The same over 16 values: the products at l and l+8. */
    private static int laneSum16(byte[] w, int wo, byte[] a, int ao, int l) {
        return w[wo + l] * a[ao + l] + w[wo + l + 8] * a[ao + l + 8];
    }

    /** The 32 signed integers of one block of a 32-value type, as ggml's dot products use them. */
    static void unpack32(GgmlType t, byte[] w, int wo, byte[] q) {
        switch (t) {
            case Q4_0 -> Nibbles.scalar(w, wo + 2, 16, 8, q, 0);
            case Q4_1 -> Nibbles.scalar(w, wo + 4, 16, 0, q, 0);
            case Q5_0 -> new Q5Blocks(false).unpack(w, wo, q);
            case Q5_1 -> new Q5Blocks(true).unpack(w, wo, q);
            case Q8_0 -> System.arraycopy(w, wo + 2, q, 0, 32);
            case IQ4_NL -> {
                for (int j = 0; j < 16; j++) {
                    int v = w[wo + 2 + j] & 0xFF;
                    q[j] = IQ4NLBlock.VALUES[v & 0xF];
                    q[j + 16] = IQ4NLBlock.VALUES[v >>> 4];
                }
            }
            default -> throw new UnsupportedTypeException("(block dot)", t);
        }
    }
}
