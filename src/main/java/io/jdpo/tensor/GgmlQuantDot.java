package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Quantized products in the float order of the ggml-cpu kernel llama.cpp runs for them on
 * x86, so that the deployed arithmetic is llama.cpp's to the bit, not only to float rounding
 * as {@link BlockDot}'s definition. The 32-value types with Q8_0 activations, two orders:
 * <ul>
 *   <li>{@link Order#TINYBLAS}, llamafile's {@code tinyBLAS_Q0_AVX} (Q8_0, Q5_0, and Q4_0 or
 *   IQ4_NL whose rows are not a multiple of 8), two tokens or more: per output eight float
 *   lanes; block b adds to lane j the integer sum of its products 4j..4j+3 times d_w·d_x (a
 *   float product of the two scales) by a fused multiply-add; the lanes are then halved.
 *   <li>{@link Order#REPACKED}, the interleaved 8×8 kernels of {@code repack.cpp} that
 *   llama.cpp loads Q4_0 and IQ4_NL into on AVX2 and AVX-512 (rows a multiple of 8), any
 *   number of tokens: per output one float, block by block fma(Σ of the block's 32 integer
 *   products, d_w·d_x, sum).
 * </ul>
 * Other types, and single tokens through tinyBLAS's types ({@code ggml_vec_dot_*_q8_0}),
 * keep the packed float products.
 */
final class GgmlQuantDot {
    /** Float lanes of tinyBLAS_Q0_AVX's accumulators (__m256, in AVX2 and AVX-512 builds alike). */
    private static final int LANES = 8;

    private GgmlQuantDot() {
    }

    /** The float orders of llama.cpp's quantized kernels on x86 that this class reproduces. */
    enum Order { TINYBLAS, REPACKED, Q6_K }

    /** llama.cpp's kernel for a product of these weights over this many tokens, or null when this class has none. */
    static Order orderFor(GgmlType type, int cols, int rows, int tokens) {
        if (GgmlOrder.LANES == 0 || cols % 32 != 0) return null;
        return switch (type) {
            case Q4_0, IQ4_NL -> rows % 8 == 0 ? Order.REPACKED : tokens >= 2 ? Order.TINYBLAS : null;
            case Q8_0, Q5_0 -> tokens >= 2 ? Order.TINYBLAS : null;
            case Q6_K -> cols % 256 == 0 ? Order.Q6_K : null;
            default -> null;
        };
    }

    /** One product's activations as ggml quantizes them for these weights (Q8_0 or Q8_K), token by token. */
    record Q8Rows(BlockDot.Q8[] rows) {
        static Q8Rows of(GgmlType weights, float[] input, int tokens, int cols, Parallel par) {
            ActivationQuantizer.Format f = ActivationQuantizer.formatFor(weights);
            BlockDot.Q8[] rows = new BlockDot.Q8[tokens];
            par.forRange(tokens, 1, (t0, t1) -> {
                float[] row = new float[cols];
                for (int t = t0; t < t1; t++) {
                    System.arraycopy(input, t * cols, row, 0, cols);
                    rows[t] = BlockDot.Q8.of(f, row, cols);
                }
            });
            return new Q8Rows(rows);
        }
    }

    /**
     * Outputs of weight rows [r0, r0 + n) for every token in the given order:
     * y[yo + t·ldy + k] for row r0 + k.
     *
     * @param type  the weights' type (a 32-value type with Q8_0 activations)
     * @param data  the rows
     * @param cols  values per row
     * @param order the kernel's float order ({@link #orderFor})
     * @param x     the activations, quantized
     * @param r0    the first row
     * @param n     rows
     * @param y     receives the outputs
     * @param yo    index in y of (token 0, row r0)
     * @param ldy   distance in y between two tokens
     */
    static void product(GgmlType type, MemorySegment data, int cols, Order order, Q8Rows x, int r0, int n, float[] y, int yo, int ldy) {
        if (order == Order.Q6_K) {
            q6K(data, cols, x, r0, n, y, yo, ldy);
            return;
        }
        int blocks = cols / 32, tokens = x.rows().length, bytes = type.bytesPerBlock();
        long rowBytes = (long) blocks * bytes;
        byte[] raw = new byte[(int) rowBytes], qw = new byte[cols];
        float[] dw = new float[blocks], acc = new float[LANES];
        for (int k = 0; k < n; k++) {
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, (r0 + k) * rowBytes, raw, 0, raw.length);
            byte[] block = new byte[32];
            for (int b = 0; b < blocks; b++) {
                BlockDot.unpack32(type, raw, b * bytes, block);
                System.arraycopy(block, 0, qw, b * 32, 32);
                dw[b] = Bytes.f16(raw, b * bytes);
            }
            for (int t = 0; t < tokens; t++) {
                byte[] q = x.rows()[t].q();
                float[] d = x.rows()[t].d();
                float out;
                if (order == Order.REPACKED) {
                    out = 0;
                    for (int b = 0; b < blocks; b++) out = Math.fma((float) BlockDot.intDotScalar(qw, 32 * b, q, 32 * b, 32), dw[b] * d[b], out);
                } else {
                    java.util.Arrays.fill(acc, 0f);
                    for (int b = 0; b < blocks; b++) {
                        float scale = dw[b] * d[b];
                        for (int j = 0; j < LANES; j++) {
                            int i = 32 * b + 4 * j;
                            int s = qw[i] * q[i] + qw[i + 1] * q[i + 1] + qw[i + 2] * q[i + 2] + qw[i + 3] * q[i + 3];
                            acc[j] = Math.fma(scale, (float) s, acc[j]);
                        }
                    }
                    out = GgmlOrder.halvingSum(acc, 0, LANES);
                }
                y[yo + t * ldy + k] = out;
            }
        }
    }

    /**
     * {@code ggml_vec_dot_q6_K_q8_K} as the x86 builds compile it (its AVX2 branch, AVX-512
     * builds included), for every token: eight float lanes; per 256-value block, lane L gets
     * fma(d_x·d_w, its integer, lane), where its integer is, over the block's eight runs of 32
     * values c, the run's scale (of its first or second 16 as L &lt; 4) times the products of the
     * unsigned 6-bit codes at 32c + 4L..4L+3, less 32 times the scaled activation sums of the
     * block's 16-value groups 2L and 2L + 1; the lanes are then halved.
     */
    private static void q6K(MemorySegment data, int cols, Q8Rows x, int r0, int n, float[] y, int yo, int ldy) {
        int blocks = cols / 256, tokens = x.rows().length;
        long rowBytes = (long) blocks * 210;
        byte[] raw = new byte[(int) rowBytes], u = new byte[cols];
        float[] acc = new float[LANES];
        for (int k = 0; k < n; k++) {
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, (r0 + k) * rowBytes, raw, 0, raw.length);
            byte[] v = new byte[256];
            for (int b = 0; b < blocks; b++) {
                Q6KBlock.unpack(raw, b * 210, v);
                for (int i = 0; i < 256; i++) u[256 * b + i] = (byte) (v[i] + 32);
            }
            for (int t = 0; t < tokens; t++) {
                BlockDot.Q8 a = x.rows()[t];
                java.util.Arrays.fill(acc, 0f);
                for (int b = 0; b < blocks; b++) {
                    int so = b * 210, qo = 256 * b;
                    float d = a.d()[b] * Bytes.f16(raw, so + 208);
                    for (int lane = 0; lane < LANES; lane++) {
                        int sum = 0;
                        for (int c = 0; c < 8; c++) {
                            int sc = raw[so + 192 + 2 * c + (lane >= 4 ? 1 : 0)];
                            int i = qo + 32 * c + 4 * lane, p = 0;
                            for (int e = 0; e < 4; e++) p += u[i + e] * a.q()[i + e];
                            sum += sc * p;
                        }
                        int g = 16 * b + 2 * lane;
                        sum -= 32 * (a.bsums()[g] * raw[so + 192 + 2 * lane] + a.bsums()[g + 1] * raw[so + 192 + 2 * lane + 1]);
                        acc[lane] = Math.fma(d, (float) sum, acc[lane]);
                    }
                }
                y[yo + t * ldy + k] = GgmlOrder.halvingSum(acc, 0, LANES);
            }
        }
    }
}
