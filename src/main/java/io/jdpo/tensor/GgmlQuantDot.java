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
    enum Order { TINYBLAS, REPACKED, Q6_K, Q4_K_REPACKED, Q4_K, Q5_K }

    /** llama.cpp's kernel for a product of these weights over this many tokens, or null when this class has none. */
    static Order orderFor(GgmlType type, int cols, int rows, int tokens) {
        if (GgmlOrder.LANES == 0 || cols % 32 != 0) return null;
        return switch (type) {
            case Q4_0, IQ4_NL -> rows % 8 == 0 ? Order.REPACKED : tokens >= 2 ? Order.TINYBLAS : null;
            case Q8_0, Q5_0 -> tokens >= 2 ? Order.TINYBLAS : null;
            case Q6_K -> cols % 256 == 0 ? Order.Q6_K : null;
            case Q4_K -> cols % 256 == 0 ? (rows % 8 == 0 ? Order.Q4_K_REPACKED : Order.Q4_K) : null;
            case Q5_K -> cols % 256 == 0 ? Order.Q5_K : null;
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
        if (order == Order.Q4_K_REPACKED || order == Order.Q4_K || order == Order.Q5_K) {
            q45K(order, data, cols, x, r0, n, y, yo, ldy);
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

    /**
     * Q4_K through repack.cpp's 8×8 kernels (rows a multiple of 8) and Q5_K through
     * {@code ggml_vec_dot_q5_K_q8_K}'s AVX2 branch. Per 256-value block both take the integer
     * Σ_runs scale·(codes·activations) and the integer Σ_runs min·(the run's activation sum).
     * Q4_K keeps one float per output for each: fma(integer, d_w·d_x, sum) and fma(mins,
     * dmin_w·d_x, sum), subtracted at the end. Q5_K keeps eight lanes for the first (lane L the
     * products at 32c + 4L..4L+3 of every run c, times the run's scale), fma'd with d_x·d_w and
     * halved at the end, and adds (−d_x)·dmin_w·mins to one float per block, added last.
     */
    private static void q45K(Order order, MemorySegment data, int cols, Q8Rows x, int r0, int n, float[] y, int yo, int ldy) {
        boolean five = order == Order.Q5_K, lanes = order != Order.Q4_K_REPACKED;
        int blocks = cols / 256, tokens = x.rows().length, size = five ? 176 : 144;
        long rowBytes = (long) blocks * size;
        byte[] raw = new byte[(int) rowBytes], u = new byte[cols];
        int[] sc = new int[blocks * 8], mn = new int[blocks * 8], sm = new int[2];
        float[] acc = new float[LANES], accM = new float[4];
        Q45KBlock dec = new Q45KBlock(five);
        for (int k = 0; k < n; k++) {
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, (r0 + k) * rowBytes, raw, 0, raw.length);
            byte[] v = new byte[256];
            for (int b = 0; b < blocks; b++) {
                dec.unpack(raw, b * size, v, false);
                System.arraycopy(v, 0, u, 256 * b, 256);
                for (int j = 0; j < 8; j++) {
                    Q45KBlock.scaleMin(raw, b * size + 4, j, sm);
                    sc[8 * b + j] = sm[0];
                    mn[8 * b + j] = sm[1];
                }
            }
            for (int t = 0; t < tokens; t++) {
                BlockDot.Q8 a = x.rows()[t];
                byte[] q = a.q();
                boolean gemm = tokens > 3 && t < tokens - tokens % 4;
                float sum = 0, mins = 0;
                java.util.Arrays.fill(acc, 0f);
                java.util.Arrays.fill(accM, 0f);
                for (int b = 0; b < blocks; b++) {
                    int so = b * size, qo = 256 * b;
                    float dw = Bytes.f16(raw, so), dminw = Bytes.f16(raw, so + 2), dx = a.d()[b];
                    int minInt = 0;
                    for (int j = 0; j < 8; j++) minInt += mn[8 * b + j] * (a.bsums()[16 * b + 2 * j] + a.bsums()[16 * b + 2 * j + 1]);
                    if (lanes) {
                        for (int lane = 0; lane < LANES; lane++) {
                            int li = 0;
                            for (int c = 0; c < 8; c++) {
                                int i = qo + 32 * c + 4 * lane, p = 0;
                                for (int e = 0; e < 4; e++) p += u[i + e] * q[i + e];
                                li += sc[8 * b + c] * p;
                            }
                            acc[lane] = Math.fma(dx * dw, (float) li, acc[lane]);
                        }
                        if (five) {
                            mins = Math.fma(-dx * dminw, (float) minInt, mins);
                        } else {
                            // ggml_vec_dot_q4_K_q8_K keeps four float lanes of min terms, runs 2p and 2p + 1 in lane p.
                            for (int p = 0; p < 4; p++) {
                                int g = 16 * b + 4 * p;
                                int mi = mn[8 * b + 2 * p] * (a.bsums()[g] + a.bsums()[g + 1]) + mn[8 * b + 2 * p + 1] * (a.bsums()[g + 2] + a.bsums()[g + 3]);
                                accM[p] = Math.fma(-dx * dminw, (float) mi, accM[p]);
                            }
                        }
                    } else if (gemm) {
                        // repack.cpp's gemm (token rows in fours): one fma per 64 values.
                        for (int sb = 0; sb < 4; sb++) {
                            int c0 = 2 * sb, c1 = c0 + 1, g = 16 * b + 4 * sb;
                            int is = sc[8 * b + c0] * BlockDot.intDotScalar(u, qo + 32 * c0, q, qo + 32 * c0, 32)
                                    + sc[8 * b + c1] * BlockDot.intDotScalar(u, qo + 32 * c1, q, qo + 32 * c1, 32);
                            int ms = mn[8 * b + c0] * (a.bsums()[g] + a.bsums()[g + 1]) + mn[8 * b + c1] * (a.bsums()[g + 2] + a.bsums()[g + 3]);
                            sum = Math.fma((float) is, dw * dx, sum);
                            mins = Math.fma((float) ms, dminw * dx, mins);
                        }
                    } else {
                        // Its gemv (the last tokens % 4 rows): one fma per 256 values.
                        int total = 0;
                        for (int c = 0; c < 8; c++) total += sc[8 * b + c] * BlockDot.intDotScalar(u, qo + 32 * c, q, qo + 32 * c, 32);
                        sum = Math.fma((float) total, dw * dx, sum);
                        mins = Math.fma((float) minInt, dminw * dx, mins);
                    }
                }
                y[yo + t * ldy + k] = five ? GgmlOrder.halvingSum(acc, 0, LANES) + mins
                        : lanes ? GgmlOrder.halvingSum(acc, 0, LANES) + GgmlOrder.halvingSum(accM, 0, 4) : sum - mins;
            }
        }
    }
}
