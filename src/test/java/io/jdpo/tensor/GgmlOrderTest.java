package io.jdpo.tensor;

import io.jdpo.testing.GgmlCpu;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ggml's summation orders: {@link GgmlOrder#vecDot} against the loaded libggml-cpu's own
 * {@code ggml_vec_dot_f32} for every length up to 300 (every tail shape), the vector
 * {@link GgmlOrder#sgemm} and {@link GgmlOrder#bf16Gemm} against their scalar references {@link GgmlOrder#sgemmDot}
 * and {@link GgmlOrder#bf16Dot}, {@link GgmlOrder#halvingSums} against {@link GgmlOrder#halvingSum}, and
 * {@link GgmlOrder#expf} against e^x (ggml documents about 1.5 ulp; 3 allowed against the double result). (tinyBLAS and ggml_v_expf are not exported; the forward
 * test holds them to llama.cpp's tensors.)
 */
class GgmlOrderTest {
    @Test
    void vecDotIsLibggmlsBitForBit() {
        Assumptions.assumeTrue(GgmlOrder.LANES > 0, "ggml's order is known only for x86 builds");
        Random rnd = new Random(7);
        for (int n = 1; n <= 300; n++) {
            float[] x = new float[n], y = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) rnd.nextGaussian();
                y[i] = (float) rnd.nextGaussian();
            }
            float theirs = GgmlCpu.vecDot("f32", n, bytes(x), bytes(y));
            assertEquals(Float.floatToIntBits(theirs), Float.floatToIntBits(GgmlOrder.vecDot(x, 0, y, 0, n)),
                    "n=" + n + ": " + theirs + " vs " + GgmlOrder.vecDot(x, 0, y, 0, n));
        }
    }

    @Test
    void vectorSgemmEqualsItsScalarReference() {
        Assumptions.assumeTrue(GgmlOrder.LANES > 0, "ggml's order is known only for x86 builds");
        Random rnd = new Random(3);
        for (int tokens = 1; tokens <= 9; tokens++) {
            // Tiles of 4 row vectors and of 1, the last one part padding; tokens in fours and a rest.
            for (int rows : new int[]{1, 4, 9, 16, 36, 49, 64, 100, 132}) {
                // Every short reduction (a LoRA rank: all ggml lanes in registers) and longer ones (the tiles).
                int k = GgmlOrder.LANES * (rows == 100 ? 1 + rnd.nextInt(40) : 1 + (tokens + rows) % 6);
                float[] x = new float[tokens * k], w = new float[rows * k], y = new float[tokens * (rows + 3)];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
                GgmlOrder.sgemm(x, tokens, w, rows, k, y, 1, rows + 3);
                for (int t = 0; t < tokens; t++) {
                    for (int r = 0; r < rows; r++) {
                        float ref = GgmlOrder.sgemmDot(w, r * k, x, t * k, k);
                        assertEquals(Float.floatToIntBits(ref), Float.floatToIntBits(y[1 + t * (rows + 3) + r]),
                                "tokens=" + tokens + " rows=" + rows + " k=" + k + " at " + t + "," + r);
                    }
                }
            }
        }
    }

    @Test
    void vectorBf16GemmEqualsItsScalarReference() {
        Assumptions.assumeTrue(GgmlOrder.LANES == 16, "vdpbf16ps's order is AVX-512's");
        Random rnd = new Random(5);
        for (int tokens = 1; tokens <= 6; tokens++) {
            for (int rows : new int[]{4, 20, 64, 68}) {
                int k = 32 * (1 + rnd.nextInt(6));
                float[] x = new float[tokens * k], w = new float[rows * k], y = new float[tokens * rows];
                for (int i = 0; i < x.length; i++) x[i] = bf16((float) rnd.nextGaussian());
                for (int i = 0; i < w.length; i++) w[i] = bf16((float) rnd.nextGaussian());
                GgmlOrder.bf16Gemm(x, tokens, w, rows, k, y, 0, rows);
                for (int t = 0; t < tokens; t++) {
                    for (int r = 0; r < rows; r++) {
                        float ref = GgmlOrder.bf16Dot(w, r * k, x, t * k, k);
                        assertEquals(Float.floatToIntBits(ref), Float.floatToIntBits(y[t * rows + r]),
                                "tokens=" + tokens + " rows=" + rows + " k=" + k + " at " + t + "," + r);
                    }
                }
            }
        }
    }

    private static float bf16(float v) {
        return Float.intBitsToFloat(Float.floatToRawIntBits(v) & 0xffff0000);
    }

    @Test
    void halvingSumsAreEachVectorsHalvingSum() {
        Assumptions.assumeTrue(GgmlOrder.LANES > 0, "ggml's order is known only for x86 builds");
        int lanes = GgmlOrder.LANES;
        Random rnd = new Random(11);
        for (int rep = 0; rep < 200; rep++) {
            // Values of mixed magnitudes, so that another association of the adds would round differently.
            float[] v = new float[3 + lanes * lanes], copy = new float[v.length], sums = new float[lanes];
            for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3));
            System.arraycopy(v, 0, copy, 0, v.length);
            GgmlOrder.halvingSums(v, 3, sums, 0);
            for (int j = 0; j < lanes; j++) {
                float want = GgmlOrder.halvingSum(copy, 3 + j * lanes, lanes);
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(sums[j]), "vector " + j + " of try " + rep);
            }
        }
    }

    @Test
    void expfIsTheExponentialWithinThreeUlps() {
        Assumptions.assumeTrue(GgmlOrder.LANES > 0, "ggml's order is known only for x86 builds");
        for (float x = -87f; x <= 88f; x += 0.0137f) {
            double e = Math.exp(x);
            float g = GgmlOrder.expf(x);
            assertTrue(Math.abs(g - e) <= 3 * Math.ulp((float) e), x + ": " + g + " vs " + e);
        }
        assertEquals(0f, GgmlOrder.expf(Float.NEGATIVE_INFINITY));
        assertEquals(0f, GgmlOrder.expf(-200f));
        assertEquals(1f, GgmlOrder.expf(0f));
    }

    private static byte[] bytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }
}
