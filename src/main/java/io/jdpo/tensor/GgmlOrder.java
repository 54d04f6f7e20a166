package io.jdpo.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * ggml-cpu's float arithmetic on x86, step for step: the order in which its F32 kernels add,
 * so that the deployed arithmetic gets llama.cpp's float results bit for bit, not within float
 * noise. Float noise is not harmless here: Gemma's GELU goes through an F16 table, and a
 * one-ulp difference before it flips an F16 rounding now and then (llama.cpp's own log-probs
 * move by ~2e-4 under a one-ulp change of a norm weight).
 * <p>
 * ggml's x86 kernels have the vector width of the build, {@link #LANES} floats: 16 with AVX-512,
 * 8 with AVX2 ({@code native/build.sh} enables AVX-512 exactly when {@code /proc/cpuinfo} lists
 * {@code avx512f}; {@code -Djdpo.ggml.lanes=8|16} overrides, 0 turns these orders off). What
 * is written here, read from the pinned llama.cpp:
 * <ul>
 *   <li>{@link #sgemmDot}: llamafile's tinyBLAS (the path of every F32 and F16 product with at
 *   least two tokens, k a multiple of the lanes): lane j accumulates the products at k ≡ j by
 *   fused multiply-adds in k order, then the lanes are added by halving (upper half onto lower).
 *   <li>{@link #vecDot}: {@code ggml_vec_dot_f32} (one-token products, rows tinyBLAS refuses,
 *   attention's Q·K): four accumulators over steps of 4·lanes, combined pairwise, reduced, then
 *   the tail one product at a time.
 *   <li>{@link #expf}: {@code ggml_v_expf}, the softmax's exponential, one lane of it.
 *   <li>{@link #halvingSum}: {@code _mm512_reduce_add_ps} and tinyBLAS's {@code hsum}.
 * </ul>
 * Every method is scalar and exact ({@link Math#fma} is one rounding, as the instruction is);
 * {@link #sgemm} is the vector kernel of the products, with the same results.
 */
public final class GgmlOrder {
    /** Float lanes of the ggml build being matched: 16 (AVX-512), 8 (AVX2), or 0 when its order is unknown. */
    public static final int LANES = lanes();
    /**
     * Whether ggml multiplies BF16 with AVX-512 BF16's dot instruction ({@code vdpbf16ps}, in
     * tinyBLAS with 32 values per step): where the CPU has it, as {@code native/build.sh} builds.
     */
    static final boolean BF16_DOT = LANES == 16 && cpuFlag("avx512_bf16");
    private static final VectorSpecies<Float> V = LANES == 16 ? FloatVector.SPECIES_512 : LANES == 8 ? FloatVector.SPECIES_256 : null;
    /** {@link #lanesFit()}: V runs natively here. */
    private static final boolean LANES_FIT = Simd.VECTOR && V != null && V.vectorBitSize() <= FloatVector.SPECIES_PREFERRED.vectorBitSize();

    private GgmlOrder() {
    }

    private static boolean cpuFlag(String flag) {
        try {
            String info = Files.readString(Path.of("/proc/cpuinfo"));
            int start = info.indexOf("\nflags");
            if (start < 0) return false;
            int end = info.indexOf('\n', start + 1);
            return (" " + info.substring(start + 1, end < 0 ? info.length() : end).replace('\t', ' ') + " ").contains(" " + flag + " ");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static int lanes() {
        String set = System.getProperty("jdpo.ggml.lanes");
        if (set != null) {
            int n = Integer.parseInt(set.trim());
            if (n != 0 && n != 8 && n != 16) throw new IllegalArgumentException("-Djdpo.ggml.lanes must be 0, 8 or 16, not " + set);
            return n;
        }
        // Not Linux, or no /proc: the order of the build is not known (0).
        if (cpuFlag("avx512f")) return 16;
        if (cpuFlag("avx2") && cpuFlag("fma")) return 8;
        return 0;
    }

    /**
     * Whether llama.cpp takes tinyBLAS for a product (given two tokens or more).
     *
     * @param k    the reduction length (columns of the weights)
     * @param rows the weight rows (outputs)
     * @return true when the orders are known, k is whole vectors and rows a multiple of 4
     */
    public static boolean sgemmApplies(int k, int rows) {
        return LANES > 0 && k % LANES == 0 && rows % 4 == 0;
    }

    /**
     * Adds n = 2^m floats by halving, upper half onto lower.
     *
     * @param v   holds the values; changed unless n is 8 or 16
     * @param off index of the first
     * @param n   how many, a power of two
     * @return their sum in that order
     */
    public static float halvingSum(float[] v, int off, int n) {
        if (n == 16) {
            // The same adds with the values in registers rather than written back each step.
            float s0 = v[off] + v[off + 8], s1 = v[off + 1] + v[off + 9], s2 = v[off + 2] + v[off + 10], s3 = v[off + 3] + v[off + 11];
            float s4 = v[off + 4] + v[off + 12], s5 = v[off + 5] + v[off + 13], s6 = v[off + 6] + v[off + 14], s7 = v[off + 7] + v[off + 15];
            float t0 = s0 + s4, t1 = s1 + s5, t2 = s2 + s6, t3 = s3 + s7;
            return (t0 + t2) + (t1 + t3);
        }
        if (n == 8) {
            float t0 = v[off] + v[off + 4], t1 = v[off + 1] + v[off + 5], t2 = v[off + 2] + v[off + 6], t3 = v[off + 3] + v[off + 7];
            return (t0 + t2) + (t1 + t3);
        }
        for (int h = n / 2; h >= 1; h /= 2) {
            for (int i = 0; i < h; i++) v[off + i] = v[off + i] + v[off + i + h];
        }
        return v[off];
    }

    /**
     * tinyBLAS's dot product: lanes over k, then halved.
     *
     * @param a  holds the first vector
     * @param ao index of its first value
     * @param b  holds the second
     * @param bo index of its first value
     * @param k  the length, a multiple of {@link #LANES}
     * @return the dot product as tinyBLAS computes it
     */
    public static float sgemmDot(float[] a, int ao, float[] b, int bo, int k) {
        float[] acc = new float[LANES];
        for (int l = 0; l < k; l += LANES) {
            for (int j = 0; j < LANES; j++) acc[j] = Math.fma(a[ao + l + j], b[bo + l + j], acc[j]);
        }
        return halvingSum(acc, 0, LANES);
    }

    /**
     * tinyBLAS's BF16 dot product with {@code vdpbf16ps}: sixteen float lanes, 32 values per
     * step, lane j adding the products at 2j + 1 and then 2j (exact products of BF16 values,
     * each added with one rounding), then halved. Inputs must be BF16 values.
     *
     * @param a  holds the first vector
     * @param ao index of its first value
     * @param b  holds the second
     * @param bo index of its first value
     * @param k  the length, a multiple of 32
     * @return the dot product as ggml's AVX-512 BF16 kernel computes it
     */
    public static float bf16Dot(float[] a, int ao, float[] b, int bo, int k) {
        float[] acc = new float[16];
        for (int l = 0; l < k; l += 32) {
            for (int j = 0; j < 16; j++) {
                acc[j] = Math.fma(a[ao + l + 2 * j + 1], b[bo + l + 2 * j + 1], acc[j]);
                acc[j] = Math.fma(a[ao + l + 2 * j], b[bo + l + 2 * j], acc[j]);
            }
        }
        return halvingSum(acc, 0, 16);
    }

    /**
     * {@code ggml_vec_dot_f32} of n floats: four vector accumulators over whole steps of
     * 4·lanes, added pairwise (0+2, 1+3, then 0+1), reduced (AVX-512: halving; AVX2: the low
     * and high halves added, then two horizontal adds), then the remaining products added one
     * at a time: GCC vectorised that loop, so whole vectors and then one half vector of
     * products are added unfused, and only the last few with fused multiply-adds (read from
     * the AVX-512 build's disassembly; the AVX2 build's by the same rule, one size down).
     *
     * @param x  holds the first vector
     * @param xo index of its first value
     * @param y  holds the second
     * @param yo index of its first value
     * @param n  the length
     * @return the dot product as ggml_vec_dot_f32 computes it
     */
    public static float vecDot(float[] x, int xo, float[] y, int yo, int n) {
        int lanes = LANES, step = 4 * lanes, np = n - n % step;
        float sum = 0;
        if (np > 0) {
            float[] acc = new float[4 * lanes];
            for (int i = 0; i < np; i += step) {
                for (int j = 0; j < 4; j++) {
                    for (int e = 0; e < lanes; e++) {
                        int at = i + j * lanes + e;
                        acc[j * lanes + e] = Math.fma(x[xo + at], y[yo + at], acc[j * lanes + e]);
                    }
                }
            }
            for (int e = 0; e < lanes; e++) {
                acc[e] = acc[e] + acc[2 * lanes + e];
                acc[lanes + e] = acc[lanes + e] + acc[3 * lanes + e];
            }
            for (int e = 0; e < lanes; e++) acc[e] = acc[e] + acc[lanes + e];
            if (lanes == 16) {
                sum = halvingSum(acc, 0, 16);
            } else {
                float t0 = acc[0] + acc[4], t1 = acc[1] + acc[5], t2 = acc[2] + acc[6], t3 = acc[3] + acc[7];
                sum = (t0 + t1) + (t2 + t3);
            }
        }
        // The tail loop, as GCC compiled it (libggml-cpu's disassembly): whole vectors, then one
        // half vector, of products added in order without fusing; the last few fused.
        int i = np, half = lanes / 2;
        for (int end = np + (n - np) / lanes * lanes; i < end; i++) sum += x[xo + i] * y[yo + i];
        if (n - i >= half) for (int end = i + half; i < end; i++) sum += x[xo + i] * y[yo + i];
        for (; i < n; i++) sum = Math.fma(x[xo + i], y[yo + i], sum);
        return sum;
    }

    /**
     * {@code ggml_vec_dot_f16} of n F16 values (given as floats): the vector part as
     * {@link #vecDot}'s, its reduced sum and then each remaining product (exact in float) added
     * in double, rounded to float at the end.
     *
     * @param x  holds the first vector
     * @param xo index of its first value
     * @param y  holds the second
     * @param yo index of its first value
     * @param n  the length
     * @return the dot product as ggml_vec_dot_f16 computes it
     */
    public static float vecDotF16(float[] x, int xo, float[] y, int yo, int n) {
        int step = 4 * LANES, np = n - n % step;
        double sum = np == 0 ? 0 : vecDot(x, xo, y, yo, np);
        for (int i = np; i < n; i++) sum += x[xo + i] * y[yo + i];
        return (float) sum;
    }

    /**
     * One lane of {@code ggml_v_expf} (AVX-512 or AVX2 as {@link #LANES} says).
     *
     * @param x the exponent
     * @return e^x within a few ulps, rounded as ggml rounds it
     */
    public static float expf(float x) {
        final float r = 0x1.8p23f;
        float z = Math.fma(x, 0x1.715476p+0f, r);
        float n = z - r;
        float b = Math.fma(-n, 0x1.7f7d1cp-20f, Math.fma(-n, 0x1.62e4p-1f, x));
        float u = b * b;
        float hi = Math.fma(Math.fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, Math.fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f));
        if (LANES == 16) {
            float j = Math.fma(hi, u, Math.fma(0x1.ffffecp-1f, b, 1.0f));
            if (Math.abs(n) > 192) return n <= 0 ? 0f : Float.POSITIVE_INFINITY;
            return Math.scalb(j, (int) n);
        }
        float j = Math.fma(hi, u, 0x1.ffffecp-1f * b);
        int e = Float.floatToRawIntBits(z) << 23;
        float k = Float.intBitsToFloat(e + Float.floatToRawIntBits(1f));
        float an = Math.abs(n);
        if (!(an > 126)) return Math.fma(k, j, k);
        int g = n <= 0 ? 0x82000000 : 0;
        float s1 = Float.intBitsToFloat(g + 0x7f000000);
        if (an > 192) return s1 * s1;
        float s2 = Float.intBitsToFloat(e - g);
        return Math.fma(s2, j, s2) * s1;
    }

    /**
     * An F32 product as ggml-cpu's mul_mat computes it: tinyBLAS where llama.cpp takes it (a
     * batch of two rows or more, rows a multiple of 4, k of whole vectors), else
     * {@code ggml_vec_dot_f32} output by output. y[yo + t·ldy + r] for t &lt; tokens, r &lt; rows.
     *
     * @param x         the activations, tokens × k
     * @param tokens    rows of x
     * @param w         the weights, rows × k
     * @param rows      rows of w
     * @param k         the reduction length
     * @param allRows   the weight matrix's full row count (tinyBLAS looks at the whole matrix; w may be a panel of it)
     * @param batchRows the rows of llama.cpp's batch for this product
     * @param y         receives the products
     * @param yo        index in y of output (token 0, row 0)
     * @param ldy       distance in y between two tokens' outputs
     */
    public static void product(float[] x, int tokens, float[] w, int rows, int k, int allRows, int batchRows, float[] y, int yo, int ldy) {
        product(x, tokens, w, rows, k, allRows, batchRows, false, y, yo, ldy);
    }

    /**
     * As {@link #product(float[], int, float[], int, int, int, int, float[], int, int)}, for F16
     * weights (and F16-rounded activations) when {@code f16}: ggml then takes
     * {@code ggml_vec_dot_f16} where tinyBLAS does not apply.
     *
     * @param x         the activations, tokens × k
     * @param tokens    rows of x
     * @param w         the weights, rows × k
     * @param rows      rows of w
     * @param k         the reduction length
     * @param allRows   the weight matrix's full row count
     * @param batchRows the rows of llama.cpp's batch for this product
     * @param f16       the weights are F16
     * @param y         receives the products
     * @param yo        index in y of output (token 0, row 0)
     * @param ldy       distance in y between two tokens' outputs
     */
    public static void product(float[] x, int tokens, float[] w, int rows, int k, int allRows, int batchRows, boolean f16,
                               float[] y, int yo, int ldy) {
        if (batchRows >= 2 && sgemmApplies(k, allRows)) {
            sgemm(x, tokens, w, rows, k, y, yo, ldy);
            return;
        }
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < tokens; t++) {
                y[yo + t * ldy + r] = f16 ? vecDotF16(w, r * k, x, t * k, k) : vecDot(w, r * k, x, t * k, k);
            }
        }
    }

    /**
     * y[t·ldy + r] = {@link #sgemmDot}(w row r, x row t) for tokens × rows outputs: x is
     * tokens × k (row stride k), w rows × k. Scalar where vectors are off; else the outputs go
     * in the vector lanes, {@link #LANES} rows of one token per vector, rather than one
     * output's ggml lanes per vector: halving each output's lanes at the end (a store and
     * fifteen scalar adds) cost as much as its k/16 fused steps and kept the register tiles
     * small. With rows in the lanes, accumulator e of a tile holds ggml lane e of every row's
     * sum (the same fused steps over k ≡ e, in k order), and the halving is {@link #LANES} − 1
     * vector adds per {@link #LANES} outputs, lane by lane in the scalar halving's order. The
     * weights are transposed once per call ({@link #transpose}); a tile is 4 row vectors × 4
     * tokens: 16 accumulators, 4 loads and 4 broadcasts per 16 fused steps.
     *
     * @param x      the activations, tokens × k
     * @param tokens rows of x
     * @param w      the weights, rows × k
     * @param rows   rows of w
     * @param k      the reduction length, a multiple of {@link #LANES}
     * @param y      receives the products
     * @param yo     index in y of output (token 0, row 0)
     * @param ldy    distance in y between two tokens' outputs
     */
    public static void sgemm(float[] x, int tokens, float[] w, int rows, int k, float[] y, int yo, int ldy) {
        if (V == null || !Simd.VECTOR) {
            for (int r = 0; r < rows; r++) {
                for (int t = 0; t < tokens; t++) y[yo + t * ldy + r] = sgemmDot(w, r * k, x, t * k, k);
            }
            return;
        }
        if (k <= SHORT_STEPS * LANES) {
            sgemmShort(x, tokens, w, rows, k, y, yo, ldy);
            return;
        }
        int width = (rows + LANES - 1) / LANES * LANES, whole = width / (TILE * LANES) * TILE * LANES;
        float[] wT = TRANSPOSED.get(k * width);
        transpose(w, rows, k, whole, wT);
        float[] scratch = HALVINGS.get(TILE * TILE * LANES * LANES);
        for (int t = 0; t < tokens; t += TILE) {
            int r = 0;
            for (; r < whole; r += TILE * LANES) tile(wT, r, TILE, x, k, t, tokens, scratch, y, yo, ldy, rows);
            for (; r < width; r += LANES) tile(wT, r, 1, x, k, t, tokens, scratch, y, yo, ldy, rows);
        }
    }

    /** The longest reduction, in vectors, that {@link #sgemmShort} takes. */
    private static final int SHORT_STEPS = 4;

    /**
     * {@link #sgemm} for a short reduction (a LoRA adapter's rank: B·(A·x) reduces over 16
     * values): there the tiles run one or two steps per ggml lane between their stores and
     * halvings, and the product ran at a tenth of the tiles' speed (11 GFLOP/s, the most of a
     * LoRA forward). Here all of a row vector's ggml lanes stay in registers, one accumulator
     * per lane with the rows in the Java lanes, halved there and stored once. The weights are
     * transposed a row vector at a time, wk[r0·k + kk·LANES + r − r0] = w[r·k + kk] (zero past
     * the rows), so a row vector's k vectors lie side by side (one per column: 4 KiB apart, as a
     * plain transpose puts them, they fell in one L1 set); row vectors outside, tokens inside,
     * so a row vector's weights stay in L1 while every token passes.
     */
    private static void sgemmShort(float[] x, int tokens, float[] w, int rows, int k, float[] y, int yo, int ldy) {
        int width = (rows + LANES - 1) / LANES * LANES;
        float[] wk = TRANSPOSED.get(k * width);
        for (int r = 0; r < width; r++) {
            int block = r - r % LANES, lane = r % LANES;
            for (int kk = 0; kk < k; kk++) wk[block * k + kk * LANES + lane] = r < rows ? w[r * k + kk] : 0f;
        }
        int whole = rows / LANES * LANES;
        for (int r0 = 0; r0 < whole; r0 += LANES) shortSteps(wk, r0 * k, x, tokens, k, y, yo + r0, ldy);
        if (whole < rows) {
            // The last row vector, part padding, goes through a buffer of one vector per token.
            float[] tail = HALVINGS.get(tokens * LANES);
            shortSteps(wk, whole * k, x, tokens, k, tail, 0, LANES);
            for (int t = 0; t < tokens; t++) System.arraycopy(tail, t * LANES, y, yo + t * ldy + whole, rows - whole);
        }
    }

    /** One row vector of {@link #sgemmShort} at the ggml build's lane count. */
    private static void shortSteps(float[] wk, int wo, float[] x, int tokens, int k, float[] y, int out, int ldy) {
        if (LANES == 16) shortSteps16(wk, wo, x, tokens, k, y, out, ldy);
        else shortSteps8(wk, wo, x, tokens, k, y, out, ldy);
    }

    /**
     * One row vector (weights from wk[wo]) against every token's x[t·k, t·k + k), into
     * y[out + t·ldy, + 16): ggml lane e's chain in accumulator e, then {@link #halvingSum}'s
     * adds. The tokens loop here, so one token's adds overlap the next one's steps.
     */
    private static void shortSteps16(float[] wk, int wo, float[] x, int tokens, int k, float[] y, int out, int ldy) {
        if (k == 16) {
            oneStep16(wk, wo, x, tokens, y, out, ldy);
            return;
        }
        for (int t = 0, xo = 0; t < tokens; t++, xo += k) {
            FloatVector a0 = FloatVector.zero(V), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            FloatVector a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
            for (int m = 0; m < k; m += 16) {
                int o = wo + m * 16, xm = xo + m;
                a0 = lane(wk, o, 0, x, xm, a0); a1 = lane(wk, o, 1, x, xm, a1);
                a2 = lane(wk, o, 2, x, xm, a2); a3 = lane(wk, o, 3, x, xm, a3);
                a4 = lane(wk, o, 4, x, xm, a4); a5 = lane(wk, o, 5, x, xm, a5);
                a6 = lane(wk, o, 6, x, xm, a6); a7 = lane(wk, o, 7, x, xm, a7);
                a8 = lane(wk, o, 8, x, xm, a8); a9 = lane(wk, o, 9, x, xm, a9);
                a10 = lane(wk, o, 10, x, xm, a10); a11 = lane(wk, o, 11, x, xm, a11);
                a12 = lane(wk, o, 12, x, xm, a12); a13 = lane(wk, o, 13, x, xm, a13);
                a14 = lane(wk, o, 14, x, xm, a14); a15 = lane(wk, o, 15, x, xm, a15);
            }
            FloatVector s0 = a0.add(a8), s1 = a1.add(a9), s2 = a2.add(a10), s3 = a3.add(a11);
            FloatVector s4 = a4.add(a12), s5 = a5.add(a13), s6 = a6.add(a14), s7 = a7.add(a15);
            FloatVector t0 = s0.add(s4), t1 = s1.add(s5), t2 = s2.add(s6), t3 = s3.add(s7);
            t0.add(t2).add(t1.add(t3)).intoArray(y, out + t * ldy);
        }
    }

    /**
     * {@link #shortSteps16} for k = 16 (rank 16, the default adapter): each lane's chain is one
     * product, and the row vector's sixteen weight vectors stay in registers across the tokens.
     */
    private static void oneStep16(float[] wk, int wo, float[] x, int tokens, float[] y, int out, int ldy) {
        FloatVector w0 = FloatVector.fromArray(V, wk, wo), w1 = FloatVector.fromArray(V, wk, wo + 16),
                w2 = FloatVector.fromArray(V, wk, wo + 32), w3 = FloatVector.fromArray(V, wk, wo + 48),
                w4 = FloatVector.fromArray(V, wk, wo + 64), w5 = FloatVector.fromArray(V, wk, wo + 80),
                w6 = FloatVector.fromArray(V, wk, wo + 96), w7 = FloatVector.fromArray(V, wk, wo + 112),
                w8 = FloatVector.fromArray(V, wk, wo + 128), w9 = FloatVector.fromArray(V, wk, wo + 144),
                w10 = FloatVector.fromArray(V, wk, wo + 160), w11 = FloatVector.fromArray(V, wk, wo + 176),
                w12 = FloatVector.fromArray(V, wk, wo + 192), w13 = FloatVector.fromArray(V, wk, wo + 208),
                w14 = FloatVector.fromArray(V, wk, wo + 224), w15 = FloatVector.fromArray(V, wk, wo + 240);
        FloatVector zero = FloatVector.zero(V);
        for (int t = 0, xo = 0; t < tokens; t++, xo += 16) {
            // fma(w, x, 0), as the chains' first step: the product rounded once, and +0 for a zero product.
            FloatVector s0 = w0.fma(FloatVector.broadcast(V, x[xo]), zero).add(w8.fma(FloatVector.broadcast(V, x[xo + 8]), zero));
            FloatVector s1 = w1.fma(FloatVector.broadcast(V, x[xo + 1]), zero).add(w9.fma(FloatVector.broadcast(V, x[xo + 9]), zero));
            FloatVector s2 = w2.fma(FloatVector.broadcast(V, x[xo + 2]), zero).add(w10.fma(FloatVector.broadcast(V, x[xo + 10]), zero));
            FloatVector s3 = w3.fma(FloatVector.broadcast(V, x[xo + 3]), zero).add(w11.fma(FloatVector.broadcast(V, x[xo + 11]), zero));
            FloatVector s4 = w4.fma(FloatVector.broadcast(V, x[xo + 4]), zero).add(w12.fma(FloatVector.broadcast(V, x[xo + 12]), zero));
            FloatVector s5 = w5.fma(FloatVector.broadcast(V, x[xo + 5]), zero).add(w13.fma(FloatVector.broadcast(V, x[xo + 13]), zero));
            FloatVector s6 = w6.fma(FloatVector.broadcast(V, x[xo + 6]), zero).add(w14.fma(FloatVector.broadcast(V, x[xo + 14]), zero));
            FloatVector s7 = w7.fma(FloatVector.broadcast(V, x[xo + 7]), zero).add(w15.fma(FloatVector.broadcast(V, x[xo + 15]), zero));
            FloatVector t0 = s0.add(s4), t1 = s1.add(s5), t2 = s2.add(s6), t3 = s3.add(s7);
            t0.add(t2).add(t1.add(t3)).intoArray(y, out + t * ldy);
        }
    }

    /** As {@link #shortSteps16} for AVX2's eight lanes. */
    private static void shortSteps8(float[] wk, int wo, float[] x, int tokens, int k, float[] y, int out, int ldy) {
        for (int t = 0, xo = 0; t < tokens; t++, xo += k) {
            FloatVector a0 = FloatVector.zero(V), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int m = 0; m < k; m += 8) {
                int o = wo + m * 8, xm = xo + m;
                a0 = lane(wk, o, 0, x, xm, a0); a1 = lane(wk, o, 1, x, xm, a1);
                a2 = lane(wk, o, 2, x, xm, a2); a3 = lane(wk, o, 3, x, xm, a3);
                a4 = lane(wk, o, 4, x, xm, a4); a5 = lane(wk, o, 5, x, xm, a5);
                a6 = lane(wk, o, 6, x, xm, a6); a7 = lane(wk, o, 7, x, xm, a7);
            }
            FloatVector t0 = a0.add(a4), t1 = a1.add(a5), t2 = a2.add(a6), t3 = a3.add(a7);
            t0.add(t2).add(t1.add(t3)).intoArray(y, out + t * ldy);
        }
    }

    /** One fused step of ggml lane e: the rows' weights at column m + e (wk[o + e·LANES]) times x[xm + e], added to acc. */
    private static FloatVector lane(float[] wk, int o, int e, float[] x, int xm, FloatVector acc) {
        return FloatVector.fromArray(V, wk, o + e * LANES).fma(FloatVector.broadcast(V, x[xm + e]), acc);
    }

    /**
     * y[t·ldy + r] = {@link #bf16Dot}(w row r, x row t): tinyBLAS's BF16 product with
     * {@code vdpbf16ps}. Lane e's chain takes values 2e + 1, then 2e, of each 32: with each
     * 32 values permuted so that those two sit at e and 16 + e, that is {@link #sgemm}'s order,
     * so the product is sgemm's of permuted copies. Scalar where vectors are off.
     *
     * @param x      the activations, tokens × k, BF16 values
     * @param tokens rows of x
     * @param w      the weights, rows × k, BF16 values
     * @param rows   rows of w
     * @param k      the reduction length, a multiple of 32
     * @param y      receives the products
     * @param yo     index in y of output (token 0, row 0)
     * @param ldy    distance in y between two tokens' outputs
     */
    public static void bf16Gemm(float[] x, int tokens, float[] w, int rows, int k, float[] y, int yo, int ldy) {
        if (LANES != 16 || V == null || !Simd.VECTOR) {
            for (int r = 0; r < rows; r++) {
                for (int t = 0; t < tokens; t++) y[yo + t * ldy + r] = bf16Dot(w, r * k, x, t * k, k);
            }
            return;
        }
        float[] xp = PAIRED_X.get(tokens * k), wp = PAIRED_W.get(rows * k);
        pairOrder(x, tokens * k, xp);
        pairOrder(w, rows * k, wp);
        sgemm(xp, tokens, wp, rows, k, y, yo, ldy);
    }

    private static final ScratchBuffer<float[]> PAIRED_X = ScratchBuffer.floats(), PAIRED_W = ScratchBuffer.floats();

    /** out[32s + 16j + e] = v[32s + 2e + 1 − j]: vdpbf16ps's pairs (odd value first) moved to sgemm's lanes. */
    private static void pairOrder(float[] v, int n, float[] out) {
        for (int s = 0; s < n; s += 32) {
            for (int e = 0; e < 16; e++) {
                out[s + e] = v[s + 2 * e + 1];
                out[s + 16 + e] = v[s + 2 * e];
            }
        }
    }

    /** Row vectors and tokens of one tile. */
    private static final int TILE = 4;
    private static final ScratchBuffer<float[]> TRANSPOSED = ScratchBuffer.floats(), HALVINGS = ScratchBuffer.floats();

    /**
     * The weights for the tiles, each group of rows (a tile's 4 row vectors below {@code whole},
     * one row vector after) in a run of its own, ggml lane by ggml lane, so a tile reads its
     * weights in order: group [r0, r0 + n) at wT[r0·k + (e·k/LANES + m)·n + r − r0] =
     * w[r·k + m·LANES + e], zero for rows ≥ rows. Whole row vectors of sixteen lanes are
     * transposed sixteen columns at a time in registers ({@link #transpose16}: at 256 tokens the
     * one-column gathers it replaced held the product at 77-83 GFLOP/s against 112-115 on one
     * thread); of eight lanes, gathered a column at a time.
     */
    private static void transpose(float[] w, int rows, int k, int whole, float[] wT) {
        int steps = k / LANES, full = rows / LANES * LANES;
        int[] rowStarts = new int[LANES];
        for (int j = 0; j < LANES; j++) rowStarts[j] = j * k;
        for (int r0 = 0; r0 < rows; r0 += LANES) {
            int n = r0 < whole ? TILE * LANES : LANES, g = r0 < whole ? r0 - r0 % n : r0, base = g * k + r0 - g;
            if (r0 < full && LANES == 16) {
                for (int l = 0; l < k; l += 16) transpose16(w, r0 * k + l, k, wT, base + l / 16 * n, steps * n);
                continue;
            }
            for (int l = 0; l < k; l++) {
                int o = base + (l % LANES * steps + l / LANES) * n;
                if (r0 < full) {
                    FloatVector.fromArray(V, w, r0 * k + l, rowStarts, 0).intoArray(wT, o);
                } else {
                    for (int j = 0; j < LANES; j++) wT[o + j] = r0 + j < rows ? w[(r0 + j) * k + l] : 0;
                }
            }
        }
    }

    /**
     * Sixteen rows' values at columns [l, l + 16) (row i at w[at + i·k + j]) written transposed:
     * column j's sixteen values as one vector at wT[o + j·stride]. Four stages of two-vector
     * selects, each swapping one bit of the row index with the same bit of the lane index (the
     * stage of distance d takes, for the rows i and i + d, the lanes whose bit d differs from
     * the row's from the other row).
     */
    private static void transpose16(float[] w, int at, int k, float[] wT, int o, int stride) {
        FloatVector a0 = FloatVector.fromArray(V, w, at + 0 * k), a1 = FloatVector.fromArray(V, w, at + 1 * k), a2 = FloatVector.fromArray(V, w, at + 2 * k), a3 = FloatVector.fromArray(V, w, at + 3 * k);
        FloatVector a4 = FloatVector.fromArray(V, w, at + 4 * k), a5 = FloatVector.fromArray(V, w, at + 5 * k), a6 = FloatVector.fromArray(V, w, at + 6 * k), a7 = FloatVector.fromArray(V, w, at + 7 * k);
        FloatVector a8 = FloatVector.fromArray(V, w, at + 8 * k), a9 = FloatVector.fromArray(V, w, at + 9 * k), a10 = FloatVector.fromArray(V, w, at + 10 * k), a11 = FloatVector.fromArray(V, w, at + 11 * k);
        FloatVector a12 = FloatVector.fromArray(V, w, at + 12 * k), a13 = FloatVector.fromArray(V, w, at + 13 * k), a14 = FloatVector.fromArray(V, w, at + 14 * k), a15 = FloatVector.fromArray(V, w, at + 15 * k);
        // Every pair written out, stage by stage: the sixteen vectors must stay in locals (an
        // array of vectors would box them on the heap), so the stages cannot share a loop.
        FloatVector t;
        FloatVector lo = FloatVector.fromArray(V, SWAP_LO, 0 * 16), hi = FloatVector.fromArray(V, SWAP_HI, 0 * 16);
        t = lo.selectFrom(a0, a8); a8 = hi.selectFrom(a0, a8); a0 = t;
        t = lo.selectFrom(a1, a9); a9 = hi.selectFrom(a1, a9); a1 = t;
        t = lo.selectFrom(a2, a10); a10 = hi.selectFrom(a2, a10); a2 = t;
        t = lo.selectFrom(a3, a11); a11 = hi.selectFrom(a3, a11); a3 = t;
        t = lo.selectFrom(a4, a12); a12 = hi.selectFrom(a4, a12); a4 = t;
        t = lo.selectFrom(a5, a13); a13 = hi.selectFrom(a5, a13); a5 = t;
        t = lo.selectFrom(a6, a14); a14 = hi.selectFrom(a6, a14); a6 = t;
        t = lo.selectFrom(a7, a15); a15 = hi.selectFrom(a7, a15); a7 = t;
        lo = FloatVector.fromArray(V, SWAP_LO, 1 * 16); hi = FloatVector.fromArray(V, SWAP_HI, 1 * 16);
        t = lo.selectFrom(a0, a4); a4 = hi.selectFrom(a0, a4); a0 = t;
        t = lo.selectFrom(a1, a5); a5 = hi.selectFrom(a1, a5); a1 = t;
        t = lo.selectFrom(a2, a6); a6 = hi.selectFrom(a2, a6); a2 = t;
        t = lo.selectFrom(a3, a7); a7 = hi.selectFrom(a3, a7); a3 = t;
        t = lo.selectFrom(a8, a12); a12 = hi.selectFrom(a8, a12); a8 = t;
        t = lo.selectFrom(a9, a13); a13 = hi.selectFrom(a9, a13); a9 = t;
        t = lo.selectFrom(a10, a14); a14 = hi.selectFrom(a10, a14); a10 = t;
        t = lo.selectFrom(a11, a15); a15 = hi.selectFrom(a11, a15); a11 = t;
        lo = FloatVector.fromArray(V, SWAP_LO, 2 * 16); hi = FloatVector.fromArray(V, SWAP_HI, 2 * 16);
        t = lo.selectFrom(a0, a2); a2 = hi.selectFrom(a0, a2); a0 = t;
        t = lo.selectFrom(a1, a3); a3 = hi.selectFrom(a1, a3); a1 = t;
        t = lo.selectFrom(a4, a6); a6 = hi.selectFrom(a4, a6); a4 = t;
        t = lo.selectFrom(a5, a7); a7 = hi.selectFrom(a5, a7); a5 = t;
        t = lo.selectFrom(a8, a10); a10 = hi.selectFrom(a8, a10); a8 = t;
        t = lo.selectFrom(a9, a11); a11 = hi.selectFrom(a9, a11); a9 = t;
        t = lo.selectFrom(a12, a14); a14 = hi.selectFrom(a12, a14); a12 = t;
        t = lo.selectFrom(a13, a15); a15 = hi.selectFrom(a13, a15); a13 = t;
        lo = FloatVector.fromArray(V, SWAP_LO, 3 * 16); hi = FloatVector.fromArray(V, SWAP_HI, 3 * 16);
        t = lo.selectFrom(a0, a1); a1 = hi.selectFrom(a0, a1); a0 = t;
        t = lo.selectFrom(a2, a3); a3 = hi.selectFrom(a2, a3); a2 = t;
        t = lo.selectFrom(a4, a5); a5 = hi.selectFrom(a4, a5); a4 = t;
        t = lo.selectFrom(a6, a7); a7 = hi.selectFrom(a6, a7); a6 = t;
        t = lo.selectFrom(a8, a9); a9 = hi.selectFrom(a8, a9); a8 = t;
        t = lo.selectFrom(a10, a11); a11 = hi.selectFrom(a10, a11); a10 = t;
        t = lo.selectFrom(a12, a13); a13 = hi.selectFrom(a12, a13); a12 = t;
        t = lo.selectFrom(a14, a15); a15 = hi.selectFrom(a14, a15); a14 = t;
        a0.intoArray(wT, o + 0 * stride);
        a1.intoArray(wT, o + 1 * stride);
        a2.intoArray(wT, o + 2 * stride);
        a3.intoArray(wT, o + 3 * stride);
        a4.intoArray(wT, o + 4 * stride);
        a5.intoArray(wT, o + 5 * stride);
        a6.intoArray(wT, o + 6 * stride);
        a7.intoArray(wT, o + 7 * stride);
        a8.intoArray(wT, o + 8 * stride);
        a9.intoArray(wT, o + 9 * stride);
        a10.intoArray(wT, o + 10 * stride);
        a11.intoArray(wT, o + 11 * stride);
        a12.intoArray(wT, o + 12 * stride);
        a13.intoArray(wT, o + 13 * stride);
        a14.intoArray(wT, o + 14 * stride);
        a15.intoArray(wT, o + 15 * stride);
    }

    /**
     * Index vectors of two-vector selects in stages of distance LANES/2, ..., 2, 1 (for
     * {@link #transpose16} and {@link #halvingSums}): lanes of the first vector, then of the
     * second (LANES + lane). With X and Y the two vectors, stage d's low select takes X[l] where
     * lane l's bit d is clear and Y[l − d] where it is set, its high select X[l + d] and Y[l].
     */
    private static final float[] SWAP_LO = swapIndex(true), SWAP_HI = swapIndex(false);

    private static float[] swapIndex(boolean low) {
        float[] idx = new float[LANES * Integer.numberOfTrailingZeros(Math.max(1, LANES))];
        int s = 0;
        for (int d = LANES / 2; d >= 1; d /= 2, s++) {
            for (int lane = 0; lane < LANES; lane++) {
                boolean bit = (lane & d) != 0;
                idx[LANES * s + lane] = low ? (bit ? LANES + lane - d : lane) : (bit ? LANES + lane : lane + d);
            }
        }
        return idx;
    }

    /**
     * {@link #halvingSum} of LANES vectors at once: lane j of the result is the halving sum of
     * the vector at v[off + j·LANES], the same adds in the same order. Stage by stage (distance
     * LANES/2 down to 1), two vectors X and Y become one whose lanes with bit d clear hold
     * X[l] + X[l + d] and the others Y[l − d] + Y[l]: vector m takes vector m + d of the stage as
     * its Y, so after the last stage lane j holds vector j's sum.
     *
     * @param v   holds the LANES vectors, each LANES floats, from off; overwritten
     * @param off index of the first vector's first value
     * @param out receives the sums from index oo: vector j's at oo + j
     * @param oo  index in out of the first sum
     */
    public static void halvingSums(float[] v, int off, float[] out, int oo) {
        for (int s = 0, d = LANES / 2; d >= 1; d /= 2, s++) {
            FloatVector lo = FloatVector.fromArray(V, SWAP_LO, s * LANES), hi = FloatVector.fromArray(V, SWAP_HI, s * LANES);
            for (int m = 0; m < d; m++) {
                FloatVector x = FloatVector.fromArray(V, v, off + m * LANES), y = FloatVector.fromArray(V, v, off + (m + d) * LANES);
                lo.selectFrom(x, y).add(hi.selectFrom(x, y)).intoArray(v, off + m * LANES);
            }
        }
        System.arraycopy(v, off, out, oo, LANES);
    }

    /**
     * Tokens [t, t + 4) against n row vectors from row r0 (n = 4 or 1): each ggml lane e's
     * accumulators, kept in scratch, then halved and stored. Tokens past the last repeat it,
     * their outputs dropped, so every tile runs the same unrolled code.
     */
    private static void tile(float[] wT, int r0, int n, float[] x, int k, int t, int tokens, float[] scratch,
                             float[] y, int yo, int ldy, int rows) {
        int x0 = t * k, x1 = Math.min(t + 1, tokens - 1) * k, x2 = Math.min(t + 2, tokens - 1) * k, x3 = Math.min(t + 3, tokens - 1) * k;
        for (int e = 0; e < LANES; e++) {
            int o = r0 * k + e * (k / LANES) * n * LANES;
            if (n == TILE) tile4x4(wT, o, x, x0, x1, x2, x3, k, e, scratch);
            else tile1x4(wT, o, x, x0, x1, x2, x3, k, e, scratch);
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < TILE && t + j < tokens; j++) {
                int base = (i * TILE + j) * LANES;
                halveLanes(scratch, base, LANES);
                int r = r0 + i * LANES, out = yo + (t + j) * ldy + r;
                if (r + LANES <= rows) at(scratch, base).intoArray(y, out);
                else System.arraycopy(scratch, base * LANES, y, out, rows - r);
            }
        }
    }

    /** Lane e of tokens x0..x3 against the tile's weights from wT[o]: accumulator (row vector i, token j) to scratch vector (i·4 + j)·LANES + e. */
    private static void tile4x4(float[] wT, int o, float[] x, int x0, int x1, int x2, int x3, int k, int e, float[] scratch) {
        FloatVector c00 = FloatVector.zero(V), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        int step = LANES;
        for (int l = e; l < k; l += step, o += 4 * step) {
            FloatVector a0 = FloatVector.fromArray(V, wT, o), a1 = FloatVector.fromArray(V, wT, o + step),
                    a2 = FloatVector.fromArray(V, wT, o + 2 * step), a3 = FloatVector.fromArray(V, wT, o + 3 * step);
            FloatVector b = FloatVector.broadcast(V, x[x0 + l]);
            c00 = a0.fma(b, c00); c10 = a1.fma(b, c10); c20 = a2.fma(b, c20); c30 = a3.fma(b, c30);
            b = FloatVector.broadcast(V, x[x1 + l]);
            c01 = a0.fma(b, c01); c11 = a1.fma(b, c11); c21 = a2.fma(b, c21); c31 = a3.fma(b, c31);
            b = FloatVector.broadcast(V, x[x2 + l]);
            c02 = a0.fma(b, c02); c12 = a1.fma(b, c12); c22 = a2.fma(b, c22); c32 = a3.fma(b, c32);
            b = FloatVector.broadcast(V, x[x3 + l]);
            c03 = a0.fma(b, c03); c13 = a1.fma(b, c13); c23 = a2.fma(b, c23); c33 = a3.fma(b, c33);
        }
        // One accumulator at a time: an array of vectors would box them on the heap.
        put(c00, scratch, 0, e); put(c01, scratch, 1, e); put(c02, scratch, 2, e); put(c03, scratch, 3, e);
        put(c10, scratch, 4, e); put(c11, scratch, 5, e); put(c12, scratch, 6, e); put(c13, scratch, 7, e);
        put(c20, scratch, 8, e); put(c21, scratch, 9, e); put(c22, scratch, 10, e); put(c23, scratch, 11, e);
        put(c30, scratch, 12, e); put(c31, scratch, 13, e); put(c32, scratch, 14, e); put(c33, scratch, 15, e);
    }

    private static void tile1x4(float[] wT, int o, float[] x, int x0, int x1, int x2, int x3, int k, int e, float[] scratch) {
        FloatVector c0 = FloatVector.zero(V), c1 = c0, c2 = c0, c3 = c0;
        for (int l = e; l < k; l += LANES, o += LANES) {
            FloatVector a = FloatVector.fromArray(V, wT, o);
            c0 = a.fma(FloatVector.broadcast(V, x[x0 + l]), c0);
            c1 = a.fma(FloatVector.broadcast(V, x[x1 + l]), c1);
            c2 = a.fma(FloatVector.broadcast(V, x[x2 + l]), c2);
            c3 = a.fma(FloatVector.broadcast(V, x[x3 + l]), c3);
        }
        put(c0, scratch, 0, e); put(c1, scratch, 1, e); put(c2, scratch, 2, e); put(c3, scratch, 3, e);
    }

    private static void put(FloatVector c, float[] scratch, int tile, int e) {
        c.intoArray(scratch, (tile * LANES + e) * LANES);
    }

    /**
     * The vector species of ggml's lanes: one Java lane per ggml lane.
     *
     * @return 16 or 8 floats, or null where the order is unknown
     */
    public static VectorSpecies<Float> species() {
        return V;
    }

    /**
     * Whether {@link #species()}'s vectors run natively here (the kernels use vectors and ggml's
     * lanes are no wider than this JVM's): where they do not, the Vector API would emulate them
     * far slower than one value at a time.
     *
     * @return true when elementwise steps in ggml's lanes should run on vectors
     */
    public static boolean lanesFit() {
        return LANES_FIT;
    }

    /**
     * {@link #vecDot} of one query against the keys of {@link #LANES} consecutive cells at
     * once, lane by lane: keys come transposed, {@code kT[d·stride + c0 + lane]} holding value d
     * of the key in cell c0 + lane. Every lane takes exactly the steps {@link #vecDot} takes.
     *
     * @param kT     the transposed keys
     * @param stride distance in kT between two of a key's values
     * @param c0     the first cell
     * @param q      the query, n values from qo
     * @param qo     index of the query's first value
     * @param n      the head dimension
     * @param scratch at least 4·LANES·LANES floats, overwritten
     * @param out    receives the LANES dot products from index oo (written to an array rather
     *               than returned: a vector returned from a call the JIT does not inline is
     *               boxed on the heap, and this one was, once per sixteen cells)
     * @param oo     index in out of the first cell's product
     */
    public static void vecDotLanes(float[] kT, int stride, int c0, float[] q, int qo, int n, float[] scratch, float[] out, int oo) {
        int lanes = LANES, step = 4 * lanes, np = n - n % step;
        if (lanes == 16 && np == n) {
            // Whole steps (head sizes 64, 128): every lane's chains and the halving in registers.
            wholeSteps16(kT, stride, c0, q, qo, n, scratch, out, oo);
            return;
        }
        FloatVector sum = FloatVector.zero(V);
        if (np > 0) {
            // Element e of ggml's four accumulators x0..x3 (values e, L + e, 2L + e, 3L + e of each
            // step), four chains at once; then x0 += x2, x1 += x3, x0 += x1, element by element.
            for (int e = 0; e < lanes; e++) {
                FloatVector x0 = FloatVector.zero(V), x1 = x0, x2 = x0, x3 = x0;
                for (int i = e; i < np; i += step) {
                    x0 = FloatVector.fromArray(V, kT, i * stride + c0).fma(FloatVector.broadcast(V, q[qo + i]), x0);
                    x1 = FloatVector.fromArray(V, kT, (i + lanes) * stride + c0).fma(FloatVector.broadcast(V, q[qo + i + lanes]), x1);
                    x2 = FloatVector.fromArray(V, kT, (i + 2 * lanes) * stride + c0).fma(FloatVector.broadcast(V, q[qo + i + 2 * lanes]), x2);
                    x3 = FloatVector.fromArray(V, kT, (i + 3 * lanes) * stride + c0).fma(FloatVector.broadcast(V, q[qo + i + 3 * lanes]), x3);
                }
                x0.add(x2).add(x1.add(x3)).intoArray(scratch, e * lanes);
            }
            if (lanes == 16) {
                halveLanes(scratch, 0, 16);
                sum = at(scratch, 0);
            } else {
                FloatVector t0 = at(scratch, 0).add(at(scratch, 4)), t1 = at(scratch, 1).add(at(scratch, 5));
                FloatVector t2 = at(scratch, 2).add(at(scratch, 6)), t3 = at(scratch, 3).add(at(scratch, 7));
                sum = t0.add(t1).add(t2.add(t3));
            }
        }
        int i = np, half = lanes / 2;
        for (int end = np + (n - np) / lanes * lanes; i < end; i++) sum = sum.add(FloatVector.fromArray(V, kT, i * stride + c0).mul(q[qo + i]));
        if (n - i >= half) for (int end = i + half; i < end; i++) sum = sum.add(FloatVector.fromArray(V, kT, i * stride + c0).mul(q[qo + i]));
        for (; i < n; i++) sum = FloatVector.fromArray(V, kT, i * stride + c0).fma(FloatVector.broadcast(V, q[qo + i]), sum);
        sum.intoArray(out, oo);
    }

    /**
     * {@link #vecDotLanes} with sixteen ggml lanes and n a whole number of 64-value steps: lanes
     * e and e + 8 (ggml's four accumulators each, added as vecDot adds them) in one pass, their
     * sum (the halving's first step) stored, the last three steps in registers. Storing all
     * sixteen lanes and halving them in memory was a third of the attention's scores; a helper
     * per lane returned its vector unboxed only when the JIT inlined it, which it would not.
     */
    private static void wholeSteps16(float[] kT, int stride, int c0, float[] q, int qo, int n, float[] scratch, float[] out, int oo) {
        for (int e = 0; e < 8; e++) {
            FloatVector x0 = FloatVector.zero(V), x1 = x0, x2 = x0, x3 = x0, y0 = x0, y1 = x0, y2 = x0, y3 = x0;
            for (int i = e; i < n; i += 64) {
                x0 = FloatVector.fromArray(V, kT, i * stride + c0).fma(FloatVector.broadcast(V, q[qo + i]), x0);
                y0 = FloatVector.fromArray(V, kT, (i + 8) * stride + c0).fma(FloatVector.broadcast(V, q[qo + i + 8]), y0);
                x1 = FloatVector.fromArray(V, kT, (i + 16) * stride + c0).fma(FloatVector.broadcast(V, q[qo + i + 16]), x1);
                y1 = FloatVector.fromArray(V, kT, (i + 24) * stride + c0).fma(FloatVector.broadcast(V, q[qo + i + 24]), y1);
                x2 = FloatVector.fromArray(V, kT, (i + 32) * stride + c0).fma(FloatVector.broadcast(V, q[qo + i + 32]), x2);
                y2 = FloatVector.fromArray(V, kT, (i + 40) * stride + c0).fma(FloatVector.broadcast(V, q[qo + i + 40]), y2);
                x3 = FloatVector.fromArray(V, kT, (i + 48) * stride + c0).fma(FloatVector.broadcast(V, q[qo + i + 48]), x3);
                y3 = FloatVector.fromArray(V, kT, (i + 56) * stride + c0).fma(FloatVector.broadcast(V, q[qo + i + 56]), y3);
            }
            x0.add(x2).add(x1.add(x3)).add(y0.add(y2).add(y1.add(y3))).intoArray(scratch, e * 16);
        }
        FloatVector t0 = at(scratch, 0).add(at(scratch, 4)), t1 = at(scratch, 1).add(at(scratch, 5));
        FloatVector t2 = at(scratch, 2).add(at(scratch, 6)), t3 = at(scratch, 3).add(at(scratch, 7));
        t0.add(t2).add(t1.add(t3)).intoArray(out, oo);
    }

    /**
     * Halves n vectors held at scratch[e·LANES], base ≤ e &lt; base + n, upper half onto lower, lane by lane:
     * each lane takes the steps {@link #halvingSum} takes over n values. The sum ends in vector base.
     */
    private static void halveLanes(float[] scratch, int base, int n) {
        for (int h = n / 2; h >= 1; h /= 2) {
            for (int e = base; e < base + h; e++) at(scratch, e).add(at(scratch, e + h)).intoArray(scratch, e * LANES);
        }
    }

    private static FloatVector at(float[] scratch, int e) {
        return FloatVector.fromArray(V, scratch, e * LANES);
    }

    /**
     * {@link #expf} lane by lane: the same float steps with the Vector API where the exponent
     * stays in the normal range (|n| ≤ 126), the scalar function for the other lanes.
     *
     * @param x the exponents
     * @return e^x as {@link #expf} gives it, per lane
     */
    public static FloatVector expfLanes(FloatVector x) {
        final float r = 0x1.8p23f;
        FloatVector z = x.fma(0x1.715476p+0f, r);
        FloatVector n = z.sub(r);
        FloatVector b = n.neg().fma(FloatVector.broadcast(V, 0x1.7f7d1cp-20f), n.neg().fma(FloatVector.broadcast(V, 0x1.62e4p-1f), x));
        FloatVector u = b.mul(b);
        FloatVector hi = b.fma(0x1.0e4020p-7f, 0x1.573e2ep-5f).fma(u, b.fma(FloatVector.broadcast(V, 0x1.555e66p-3f), FloatVector.broadcast(V, 0x1.fffdb6p-2f)));
        FloatVector out;
        if (LANES == 16) {
            FloatVector j = hi.fma(u, b.fma(0x1.ffffecp-1f, 1.0f));
            // 2^n for |n| ≤ 126 is a normal float: the product is vscalefps's correctly rounded result.
            IntVector e = ((IntVector) n.convert(jdk.incubator.vector.VectorOperators.F2I, 0)).add(127).lanewise(jdk.incubator.vector.VectorOperators.LSHL, 23);
            out = j.mul(e.reinterpretAsFloats());
        } else {
            FloatVector j = hi.fma(u, b.mul(0x1.ffffecp-1f));
            IntVector e = z.reinterpretAsInts().lanewise(jdk.incubator.vector.VectorOperators.LSHL, 23);
            FloatVector k = e.add(Float.floatToRawIntBits(1f)).reinterpretAsFloats();
            out = k.fma(j, k);
        }
        VectorMask<Float> outside = n.abs().compare(jdk.incubator.vector.VectorOperators.GT, 126f).or(n.test(jdk.incubator.vector.VectorOperators.IS_NAN));
        if (!outside.anyTrue()) return out;
        float[] lanes = out.toArray(), xs = x.toArray();
        for (int l = 0; l < lanes.length; l++) if (outside.laneIsSet(l)) lanes[l] = expf(xs[l]);
        return FloatVector.fromArray(V, lanes, 0);
    }
}
