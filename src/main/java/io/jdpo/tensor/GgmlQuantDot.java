package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Quantized products in the float order of the ggml-cpu kernel llama.cpp runs for them on
 * x86, so that the deployed arithmetic is llama.cpp's to the bit, not only to float rounding
 * as {@link BlockDot}'s definition. So far Q8_0 with two tokens or more: llamafile's
 * {@code tinyBLAS_Q0_AVX}. Per output it keeps eight float lanes; block b adds to lane j the
 * integer sum of the block's products 4j..4j+3 times d_w·d_x (a float product of the two F16
 * scales), by a fused multiply-add; the lanes are then halved. Other types, and single tokens
 * ({@code ggml_vec_dot_q8_0_q8_0}), keep the packed float products.
 */
final class GgmlQuantDot {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Float lanes of tinyBLAS_Q0_AVX's accumulators (__m256, in AVX2 and AVX-512 builds alike). */
    private static final int LANES = 8;

    private GgmlQuantDot() {
    }

    /** Whether this class has ggml's order for a product of these weights over this many tokens. */
    static boolean covers(GgmlType type, int cols, int tokens) {
        return GgmlOrder.LANES > 0 && type == GgmlType.Q8_0 && tokens >= 2 && cols % 32 == 0;
    }

    /** One product's activations as ggml quantizes them to Q8_0: per token, its integers and block scales. */
    record Q8Rows(byte[][] q, float[][] d) {
        static Q8Rows of(float[] input, int tokens, int cols, Parallel par) {
            byte[][] q = new byte[tokens][];
            float[][] d = new float[tokens][];
            par.forRange(tokens, 1, (t0, t1) -> {
                float[] row = new float[cols];
                for (int t = t0; t < t1; t++) {
                    System.arraycopy(input, t * cols, row, 0, cols);
                    BlockDot.Q8 x = BlockDot.Q8.of(ActivationQuantizer.Format.Q8_0, row, cols);
                    q[t] = x.q();
                    d[t] = x.d();
                }
            });
            return new Q8Rows(q, d);
        }
    }

    /**
     * Outputs of Q8_0 weight rows [r0, r0 + n) for every token, as tinyBLAS_Q0_AVX computes them:
     * y[yo + t·ldy + k] for row r0 + k.
     *
     * @param data the Q8_0 rows
     * @param cols values per row
     * @param x    the activations, quantized
     * @param r0   the first row
     * @param n    rows
     * @param y    receives the outputs
     * @param yo   index in y of (token 0, row r0)
     * @param ldy  distance in y between two tokens
     */
    static void q8_0(MemorySegment data, int cols, Q8Rows x, int r0, int n, float[] y, int yo, int ldy) {
        int blocks = cols / 32, tokens = x.q().length;
        long rowBytes = (long) blocks * 34;
        byte[] qw = new byte[cols];
        float[] dw = new float[blocks], acc = new float[LANES];
        for (int k = 0; k < n; k++) {
            long base = (r0 + k) * rowBytes;
            for (int b = 0; b < blocks; b++) {
                long o = base + b * 34L;
                dw[b] = Float.float16ToFloat(data.get(HALF, o));
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, o + 2, qw, b * 32, 32);
            }
            for (int t = 0; t < tokens; t++) {
                byte[] q = x.q()[t];
                float[] d = x.d()[t];
                java.util.Arrays.fill(acc, 0f);
                for (int b = 0; b < blocks; b++) {
                    float scale = dw[b] * d[b];
                    int o = b * 32;
                    for (int j = 0; j < LANES; j++) {
                        int i = o + 4 * j;
                        int s = qw[i] * q[i] + qw[i + 1] * q[i + 1] + qw[i + 2] * q[i + 2] + qw[i + 3] * q[i + 3];
                        acc[j] = Math.fma(scale, (float) s, acc[j]);
                    }
                }
                y[yo + t * ldy + k] = GgmlOrder.halvingSum(acc, 0, LANES);
            }
        }
    }
}
