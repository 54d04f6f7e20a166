package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;
import io.jdpo.llama.RowQuantizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The activation rounding of the deployed arithmetic: the Vector API path bit for bit equal to
 * the scalar one at this JVM's vector width (the suite runs it at 128, 256 and 512 bits), and
 * both equal to ggml's own rounding where ggml exposes it.
 */
class ActivationQuantizerTest {

    /** Activations as a forward makes them: mostly small, some outliers, whole zero blocks, exact ties, both signs of the same maximum. */
    static float[] activations(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * (rnd.nextInt(20) == 0 ? 8 : 1));
        java.util.Arrays.fill(x, 0, Math.min(n, 32), 0f);
        if (n >= 320) {
            // A block whose values sit on rounding ties: max 127, so x·(127/max) = x.
            x[256] = 127f;
            for (int i = 257; i < 288; i++) x[i] = (i % 7) - 3.5f;
            // Equal magnitudes of both signs: the first one met decides Q8_K's sign.
            x[300] = -9f;
            x[301] = 9f;
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(ActivationQuantizer.Format.class)
    void vectorPathMatchesScalarBitForBit(ActivationQuantizer.Format f) {
        Random rnd = new Random(f.ordinal() + 5);
        for (int blocks : new int[]{1, 2, 7, 16}) {
            int n = blocks * f.block;
            float[] x = activations(rnd, n);
            float[] vec = new float[n], ref = new float[n];
            float[] dv = new float[n / f.block], dr = new float[n / f.block];
            ActivationQuantizer.roundTrip(f, x, n, vec, dv, true);
            ActivationQuantizer.roundTrip(f, x, n, ref, dr, false);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(vec[i]), f + " value " + i + " of " + n + " (" + Simd.describe() + ")");
            }
            assertArrayEquals(dr, dv, 0f, f + " block sums");
        }
    }

    @Test
    void q8KIsGgmlsOwnRounding() {
        Random rnd = new Random(11);
        int n = 256 * 12;
        float[] x = activations(rnd, n);
        float[] ours = new float[n];
        ActivationQuantizer.roundTrip(ActivationQuantizer.Format.Q8_K, x, n, ours, null, Simd.VECTOR);
        int q8K = GgmlType.Q8_K.id();
        float[] ggml = RowQuantizer.dequantize(q8K, RowQuantizer.fromFloatRef(q8K, x), n);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(ggml[i]), Float.floatToRawIntBits(ours[i]), "value " + i + ": x = " + x[i]);
        }
    }

    /**
     * Q8_0: ggml's portable reference differs from the AVX2 code llama.cpp runs (and this
     * class follows) in two ways: it multiplies by 1/d instead of 127/max, and rounds ties
     * away from zero instead of to even. Same block scales; integers at most one apart, and
     * only where the product lands next to a half.
     */
    @Test
    void q8_0AgreesWithGgmlsPortableReferenceUpToTies() {
        Random rnd = new Random(12);
        int n = 32 * 400;
        float[] x = activations(rnd, n);
        float[] ours = new float[n];
        ActivationQuantizer.roundTrip(ActivationQuantizer.Format.Q8_0, x, n, ours, null, Simd.VECTOR);
        int q8 = GgmlType.Q8_0.id();
        byte[] raw = RowQuantizer.fromFloatRef(q8, x);
        float[] ggml = RowQuantizer.dequantize(q8, raw, n);
        int differ = 0;
        for (int b = 0; b < n / 32; b++) {
            float d = Float.float16ToFloat((short) ((raw[34 * b] & 0xFF) | (raw[34 * b + 1] & 0xFF) << 8));
            for (int i = 32 * b; i < 32 * b + 32; i++) {
                if (ours[i] == ggml[i]) continue;
                differ++;
                assertEquals(d, Math.abs(ours[i] - ggml[i]), 0f, "value " + i + " differs by more than one step");
                float amax = 0;
                for (int j = 32 * b; j < 32 * b + 32; j++) amax = Math.max(amax, Math.abs(x[j]));
                double scaled = x[i] * (127.0 / amax);
                assertTrue(Math.abs(Math.abs(scaled - Math.floor(scaled)) - 0.5) < 1e-4, "value " + i + " is no tie: " + scaled);
            }
        }
        // The deliberate ties of the test data (rounded to even here, away from zero by the reference).
        assertTrue(differ >= 8 && differ < n / 100, differ + " values differ");
    }

    /** The deployed product, vector path against the scalar reference (rounding and decoding included). */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0",
            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void deployedProductMatchesScalarReference(GgmlType type) {
        Random rnd = new Random(type.id() * 7L);
        try (Parallel par = new Parallel(2)) {
            for (int[] sh : new int[][]{{1, 1, 1}, {13, 5, 2}, {33, 9, 1}}) {
                int rows = sh[0], tokens = sh[1], cols = Math.max(type.blockSize(), 32) * sh[2];
                byte[] q = RowQuantizer.quantize(type.id(), gaussian(rnd, rows * cols), rows, cols, null);
                QuantMatrix m = new QuantMatrix("w", type, java.lang.foreign.MemorySegment.ofArray(q), cols, rows);
                float[] x = activations(rnd, tokens * cols);
                float[] fast = new float[tokens * rows], ref = new float[tokens * rows], flt = new float[tokens * rows];
                m.matmul(x, tokens, fast, par);
                m.matmulScalar(x, tokens, ref);
                for (int i = 0; i < fast.length; i++) {
                    assertEquals(ref[i], fast[i], 1e-4 * Math.sqrt(cols) * (1 + Math.abs(ref[i])), type + " at " + i);
                }
                // The float arithmetic is a different product: the rounding must show.
                m.arithmetic(Arithmetic.FLOAT);
                m.matmul(x, tokens, flt, par);
                m.arithmetic(Arithmetic.DEPLOYED);
                assertFalse(java.util.Arrays.equals(flt, fast), type + ": deployed and float arithmetic gave the same products");
            }
        }
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }
}
