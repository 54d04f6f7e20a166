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
     * tokens × k (row stride k), w rows × k. Vector kernel: tiles of 4 rows × 3 tokens, each
     * accumulator one output's lanes, halved at the end; scalar where vectors are off.
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
        float[] lanes = new float[LANES];
        int r = 0;
        if (k <= NARROW * LANES) r = narrow(x, tokens, w, rows, k, y, yo, ldy);
        for (; r + 4 <= rows; r += 4) {
            int t = 0;
            for (; t + 3 <= tokens; t += 3) tile4x3(x, t, w, r, k, y, yo, ldy, lanes);
            for (; t < tokens; t++) {
                for (int i = 0; i < 4; i++) y[yo + t * ldy + r + i] = dot(w, (r + i) * k, x, t * k, k, lanes);
            }
        }
        for (; r < rows; r++) {
            for (int t = 0; t < tokens; t++) y[yo + t * ldy + r] = dot(w, r * k, x, t * k, k, lanes);
        }
    }

    /** Reduction lengths up to this many vectors take {@link #narrow}: LoRA's B·(A·x), where k is the rank. */
    private static final int NARROW = 4;

    /**
     * {@link #sgemm} for short k, the first rows − rows % LANES rows: with k a few vectors long,
     * halving each output's lanes costs more than its products, so the outputs go in the lanes
     * instead. For a token and LANES rows, accumulator e holds lane e of every row's sum (the
     * same fused steps over k), and the halving adds accumulators, lane by lane, in the same
     * order the scalar halving adds one output's lanes.
     *
     * @return the rows done
     */
    private static int narrow(float[] x, int tokens, float[] w, int rows, int k, float[] y, int yo, int ldy) {
        int done = rows - rows % LANES;
        if (done == 0) return 0;
        float[] wT = new float[k * done];
        for (int r = 0; r < done; r++) {
            for (int j = 0; j < k; j++) wT[j * done + r] = w[r * k + j];
        }
        // Accumulator e at acc[e·LANES]: an array of vectors would box them on the heap.
        float[] acc = new float[LANES * LANES];
        for (int t = 0; t < tokens; t++) {
            for (int r0 = 0; r0 < done; r0 += LANES) {
                for (int e = 0; e < LANES; e++) {
                    FloatVector a = FloatVector.zero(V);
                    for (int l = e; l < k; l += LANES) a = FloatVector.fromArray(V, wT, l * done + r0).fma(FloatVector.broadcast(V, x[t * k + l]), a);
                    a.intoArray(acc, e * LANES);
                }
                halveLanes(acc, LANES);
                at(acc, 0).intoArray(y, yo + t * ldy + r0);
            }
        }
        return done;
    }

    private static float dot(float[] a, int ao, float[] b, int bo, int k, float[] lanes) {
        FloatVector acc = FloatVector.zero(V);
        for (int l = 0; l < k; l += LANES) acc = FloatVector.fromArray(V, a, ao + l).fma(FloatVector.fromArray(V, b, bo + l), acc);
        acc.intoArray(lanes, 0);
        return halvingSum(lanes, 0, LANES);
    }

    private static void tile4x3(float[] x, int t, float[] w, int r, int k, float[] y, int yo, int ldy, float[] lanes) {
        FloatVector c00 = FloatVector.zero(V), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
        int w0 = r * k, x0 = t * k;
        for (int l = 0; l < k; l += LANES) {
            FloatVector b0 = FloatVector.fromArray(V, x, x0 + l), b1 = FloatVector.fromArray(V, x, x0 + k + l),
                    b2 = FloatVector.fromArray(V, x, x0 + 2 * k + l);
            FloatVector a = FloatVector.fromArray(V, w, w0 + l);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01); c02 = a.fma(b2, c02);
            a = FloatVector.fromArray(V, w, w0 + k + l);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11); c12 = a.fma(b2, c12);
            a = FloatVector.fromArray(V, w, w0 + 2 * k + l);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21); c22 = a.fma(b2, c22);
            a = FloatVector.fromArray(V, w, w0 + 3 * k + l);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31); c32 = a.fma(b2, c32);
        }
        // One accumulator at a time: an array of vectors would box them on the heap.
        int o = yo + t * ldy + r;
        y[o] = halved(c00, lanes); y[o + ldy] = halved(c01, lanes); y[o + 2 * ldy] = halved(c02, lanes);
        y[o + 1] = halved(c10, lanes); y[o + 1 + ldy] = halved(c11, lanes); y[o + 1 + 2 * ldy] = halved(c12, lanes);
        y[o + 2] = halved(c20, lanes); y[o + 2 + ldy] = halved(c21, lanes); y[o + 2 + 2 * ldy] = halved(c22, lanes);
        y[o + 3] = halved(c30, lanes); y[o + 3 + ldy] = halved(c31, lanes); y[o + 3 + 2 * ldy] = halved(c32, lanes);
    }

    private static float halved(FloatVector acc, float[] lanes) {
        acc.intoArray(lanes, 0);
        return halvingSum(lanes, 0, LANES);
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
     * @return the LANES dot products
     */
    public static FloatVector vecDotLanes(float[] kT, int stride, int c0, float[] q, int qo, int n, float[] scratch) {
        int lanes = LANES, step = 4 * lanes, np = n - n % step;
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
                halveLanes(scratch, 16);
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
        return sum;
    }

    /**
     * Halves n vectors held at scratch[e·LANES], e &lt; n, upper half onto lower, lane by lane:
     * each lane takes the steps {@link #halvingSum} takes over n values. The sum ends in vector 0.
     */
    private static void halveLanes(float[] scratch, int n) {
        for (int h = n / 2; h >= 1; h /= 2) {
            for (int e = 0; e < h; e++) at(scratch, e).add(at(scratch, e + h)).intoArray(scratch, e * LANES);
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
