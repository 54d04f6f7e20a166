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
 *   IQ4_NL whose rows are not a multiple of 8), two tokens or more, and the vec_dot of a single
 *   token (not IQ4_NL's), which adds in the same lanes: per output eight float
 *   lanes; block b adds to lane j the integer sum of its products 4j..4j+3 times d_w·d_x (a
 *   float product of the two scales) by a fused multiply-add; the lanes are then halved.
 *   <li>{@link Order#REPACKED}, the interleaved 8×8 kernels of {@code repack.cpp} that
 *   llama.cpp loads Q4_0 and IQ4_NL into on AVX2 and AVX-512 (rows a multiple of 8), any
 *   number of tokens: per output one float, block by block fma(Σ of the block's 32 integer
 *   products, d_w·d_x, sum).
 * </ul>
 * Other types, and IQ4_NL's single tokens ({@code ggml_vec_dot_iq4_nl_q8_0}), keep the
 * packed float products.
 */
final class GgmlQuantDot {
    /** Float lanes of tinyBLAS_Q0_AVX's accumulators (__m256, in AVX2 and AVX-512 builds alike). */
    private static final int LANES = 8;

    private GgmlQuantDot() {
    }

    /** The float orders of llama.cpp's quantized kernels on x86 that this class reproduces. */
    enum Order { TINYBLAS, REPACKED, Q8_1_LANES, Q2_K_REPACKED, Q3_K, Q6_K, Q4_K_REPACKED, Q4_K, Q5_K, IQ4_XS_PANEL }

    /** llama.cpp's kernel for a product of these weights over this many tokens, or null when this class has none. */
    static Order orderFor(GgmlType type, int cols, int rows, int tokens) {
        if (GgmlOrder.LANES == 0 || cols % 32 != 0) return null;
        return switch (type) {
            // A single token goes through ggml_vec_dot_{q8_0,q5_0,q4_0}_q8_0, whose AVX2 loop adds in
            // tinyBLAS's lanes (per block fma(d_w·d_x, the eight four-product sums)) and halves them
            // as it does; IQ4_NL's vec_dot has two accumulators of its own.
            case Q4_0 -> rows % 8 == 0 ? Order.REPACKED : Order.TINYBLAS;
            case IQ4_NL -> rows % 8 == 0 ? Order.REPACKED : tokens >= 2 ? Order.TINYBLAS : null;
            case Q8_0, Q5_0 -> Order.TINYBLAS;
            case Q4_1, Q5_1 -> Order.Q8_1_LANES;
            case Q6_K -> cols % 256 == 0 ? Order.Q6_K : null;
            case Q3_K -> cols % 256 == 0 ? Order.Q3_K : null;
            // repack.cpp takes Q2_K only where ggml has AVX-512; AVX2 builds run ggml_vec_dot_q2_K_q8_K (not reproduced).
            case Q2_K -> cols % 256 == 0 && rows % 8 == 0 && GgmlOrder.LANES == 16 ? Order.Q2_K_REPACKED : null;
            // iqp.cpp's panel gemm takes eight tokens or more (GGML_IQP_MIN_BATCH) on rows in eights.
            case IQ4_XS -> cols % 256 == 0 && rows % 8 == 0 && tokens >= 8 ? Order.IQ4_XS_PANEL : null;
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
     * One weight row as ggml's kernels multiply it: integer codes q (signed for the 32-value
     * types; unsigned for the K-quants, whose offsets ggml applies through the mins or the
     * activation sums), the blocks' F16 scales d and dmin, and the runs' integer scales and mins.
     * For the K-quants with run scales (Q3_K, Q4_K, Q5_K, Q6_K), {@code scaled} holds the codes
     * times their run's scale, the weights {@link GgmlQuantLanes}'s segments multiply (exact:
     * small integers), made in the same pass as the codes; null for the other types. Q4_K's and
     * Q4_0's codes can come as 16-bit integers too ({@code small}, Q4_K's instead of the scaled
     * ones), for the kernel that multiplies them as such ({@link GgmlQuantLanes#shortRun} says
     * where); null otherwise.
     */
    record RowCodes(float[] q, float[] scaled, short[] small, float[] d, float[] dmin, int[] sc, int[] mn) {
        static RowCodes decode(GgmlType type, byte[] raw, int cols) {
            return decode(type, raw, cols, true, false, null);
        }

        /**
         * @param codes whether q is wanted: the vector kernels read only the scaled weights of
         *              the K-quants and the 16-bit codes on shorts, so for those q is made only
         *              where {@link #dot} takes tokens too
         * @param small whether the vector kernel takes the codes as 16-bit integers (where
         *              {@link GgmlQuantLanes#shortRun} says so: Q4_K and Q4_0 only; then
         *              {@code small} is made, for Q4_K instead of {@code scaled})
         * @param old   a row decoded before whose arrays may be written over (null for new ones):
         *              a product decodes every row of its weights
         */
        static RowCodes decode(GgmlType type, byte[] raw, int cols, boolean codes, boolean small, RowCodes old) {
            boolean runScaled = type == GgmlType.Q3_K || type == GgmlType.Q4_K || type == GgmlType.Q5_K || type == GgmlType.Q6_K;
            // The float codes go to the scalar dot, and to the vector kernels of the types without run scales and not on shorts.
            float[] q = codes || !runScaled && !small ? floats(old == null ? null : old.q(), cols) : null;
            float[] scaled = runScaled && !small ? floats(old == null ? null : old.scaled(), cols) : null;
            short[] s16 = small ? shorts(old == null ? null : old.small(), cols) : null;
            float[] oldD = old == null ? null : old.d(), oldMin = old == null ? null : old.dmin();
            int[] oldSc = old == null ? null : old.sc(), oldMn = old == null ? null : old.mn();
            byte[] v = UNPACKED.get(256);
            switch (type) {
                case Q6_K -> {
                    int blocks = cols / 256;
                    float[] d = floats(oldD, blocks);
                    int[] sc = ints(oldSc, 16 * blocks);
                    for (int b = 0; b < blocks; b++) {
                        int so = 210 * b;
                        Q6KBlock.unpack(raw, so, v, Simd.VECTOR);
                        for (int j = 0; j < 16; j++) sc[16 * b + j] = raw[so + 192 + j];
                        codes(v, q, scaled, 256 * b, 16, sc, 16 * b, 32);
                        d[b] = Bytes.f16(raw, so + 208);
                    }
                    return new RowCodes(q, scaled, null, d, null, sc, null);
                }
                case Q2_K -> {
                    int blocks = cols / 256;
                    float[] d = floats(oldD, blocks), dmin = floats(oldMin, blocks);
                    int[] sc = ints(oldSc, 16 * blocks), mn = ints(oldMn, 16 * blocks);
                    for (int b = 0; b < blocks; b++) {
                        int so = 84 * b;
                        Q2KBlock.unpack(raw, so, v);
                        codes(v, q, 256 * b, 256, 0);
                        for (int j = 0; j < 16; j++) {
                            sc[16 * b + j] = raw[so + j] & 0xF;
                            mn[16 * b + j] = (raw[so + j] & 0xFF) >>> 4;
                        }
                        d[b] = Bytes.f16(raw, so + 80);
                        dmin[b] = Bytes.f16(raw, so + 82);
                    }
                    return new RowCodes(q, null, null, d, dmin, sc, mn);
                }
                case IQ4_XS -> {
                    int blocks = cols / 256;
                    float[] d = floats(oldD, blocks);
                    int[] sc = ints(oldSc, 8 * blocks);
                    for (int b = 0; b < blocks; b++) {
                        int so = 136 * b;
                        for (int ib = 0; ib < 8; ib++) {
                            sc[8 * b + ib] = IQ4XSBlock.scale(raw, so, ib);
                            for (int j = 0; j < 16; j++) {
                                int c = raw[so + 8 + 16 * ib + j] & 0xFF;
                                q[256 * b + 32 * ib + j] = IQ4NLBlock.VALUES[c & 0xF];
                                q[256 * b + 32 * ib + j + 16] = IQ4NLBlock.VALUES[c >>> 4];
                            }
                        }
                        d[b] = Bytes.f16(raw, so);
                    }
                    return new RowCodes(q, null, null, d, null, sc, null);
                }
                case Q3_K -> {
                    int blocks = cols / 256;
                    float[] d = floats(oldD, blocks);
                    int[] sc = ints(oldSc, 16 * blocks), six = new int[16];
                    for (int b = 0; b < blocks; b++) {
                        int so = 110 * b;
                        Q3KBlock.unpack(raw, so, v);
                        Q3KBlock.scales(raw, so + 96, six);
                        for (int j = 0; j < 16; j++) sc[16 * b + j] = six[j] - 32;
                        codes(v, q, scaled, 256 * b, 16, sc, 16 * b, 0);
                        d[b] = Bytes.f16(raw, so + 108);
                    }
                    return new RowCodes(q, scaled, null, d, null, sc, null);
                }
                case Q4_K, Q5_K -> {
                    boolean five = type == GgmlType.Q5_K;
                    int blocks = cols / 256, size = five ? 176 : 144;
                    float[] d = floats(oldD, blocks), dmin = floats(oldMin, blocks);
                    int[] sc = ints(oldSc, 8 * blocks), mn = ints(oldMn, 8 * blocks), sm = new int[2];
                    Q45KBlock dec = five ? Q5K : Q4K;
                    for (int b = 0; b < blocks; b++) {
                        dec.unpack(raw, b * size, v, Simd.VECTOR);
                        for (int j = 0; j < 8; j++) {
                            Q45KBlock.scaleMin(raw, b * size + 4, j, sm);
                            sc[8 * b + j] = sm[0];
                            mn[8 * b + j] = sm[1];
                        }
                        codes(v, q, scaled, 256 * b, 32, sc, 8 * b, 0);
                        if (s16 != null) widened(v, s16, 256 * b, 256);
                        d[b] = Bytes.f16(raw, b * size);
                        dmin[b] = Bytes.f16(raw, b * size + 2);
                    }
                    return new RowCodes(q, scaled, s16, d, dmin, sc, mn);
                }
                default -> {
                    int blocks = cols / 32, bytes = type.bytesPerBlock();
                    boolean withMin = type == GgmlType.Q4_1 || type == GgmlType.Q5_1;
                    float[] d = floats(oldD, blocks), m = withMin ? floats(oldMin, blocks) : null;
                    for (int b = 0; b < blocks; b++) {
                        BlockDot.unpack32(type, raw, b * bytes, v);
                        if (q != null) codes(v, q, 32 * b, 32, 0);
                        if (s16 != null) widened(v, s16, 32 * b, 32);
                        d[b] = Bytes.f16(raw, b * bytes);
                        if (withMin) m[b] = Bytes.f16(raw, b * bytes + 2);
                    }
                    return new RowCodes(q, null, s16, d, m, null, null);
                }
            }
        }
    }

    /** old when it holds n floats (to be written over), else a new array. */
    private static float[] floats(float[] old, int n) {
        return old != null && old.length == n ? old : new float[n];
    }

    /** old when it holds n shorts (to be written over), else a new array. */
    private static short[] shorts(short[] old, int n) {
        return old != null && old.length == n ? old : new short[n];
    }

    /** old when it holds n ints (to be written over), else a new array. */
    private static int[] ints(int[] old, int n) {
        return old != null && old.length == n ? old : new int[n];
    }

    /**
     * A K-quant block's 256 unpacked codes: q[at + i] = v[i] + add when q is wanted, and
     * scaled[at + i] = (v[i] + add)·sc[sc0 + i / run], each run times its integer scale
     * (computed as v·scale + add·scale: exact, as every value is a small integer).
     */
    private static void codes(byte[] v, float[] q, float[] scaled, int at, int run, int[] sc, int sc0, float add) {
        if (q != null) codes(v, q, at, 256, add);
        if (scaled == null) return;
        for (int r = 0; r < 256 / run; r++) {
            float scale = sc[sc0 + r];
            if (Simd.VECTOR) {
                VectorOps.scaleAdd(v, r * run, scaled, at + r * run, run, scale, add * scale);
            } else {
                for (int i = r * run; i < r * run + run; i++) scaled[at + i] = v[i] * scale + add * scale;
            }
        }
    }

    /** s16[at + i] = v[i] for i &lt; n: a block's unpacked codes as 16-bit integers. */
    private static void widened(byte[] v, short[] s16, int at, int n) {
        if (Simd.VECTOR) {
            VectorOps.widen(v, 0, s16, at, n);
        } else {
            for (int i = 0; i < n; i++) s16[at + i] = v[i];
        }
    }

    /** q[at + i] = v[i] + add for i &lt; n: a block's unpacked codes as floats (exact: small integers). */
    private static void codes(byte[] v, float[] q, int at, int n, float add) {
        if (Simd.VECTOR) {
            VectorOps.scaleAdd(v, 0, q, at, n, 1f, add);
        } else {
            for (int i = 0; i < n; i++) q[at + i] = v[i] + add;
        }
    }

    /**
     * A block's unpacked codes, per thread: allocated in {@link RowCodes#decode} for every row,
     * this array (with the row's own arrays, now reused) took a fifth of a Q4_K product's profile.
     */
    private static final ScratchBuffer<byte[]> UNPACKED = ScratchBuffer.bytes();
    /** The K-quant block decoders (stateless). */
    private static final Q45KBlock Q4K = new Q45KBlock(false), Q5K = new Q45KBlock(true);

    /**
     * Rows decoded at a time for {@link GgmlQuantLanes#panel}. Each panel reads all the
     * product's activations once (Q6_K's float lanes are 2.8 MiB at 256 tokens, more than L2):
     * 32 rows read them half as often as 16, and Q6_K's product ran 3-6% faster
     * (MatmulProbe), the Java forward 2-3% (ForwardProbe, 512 tokens); 64 added no more.
     */
    private static final int TILED_ROWS = 32;

    /**
     * Outputs of weight rows [r0, r0 + n) for every token in the given order:
     * y[yo + t·ldy + k] for row r0 + k. The vector kernels ({@link GgmlQuantLanes}) take the
     * tokens they cover, {@link #dot} the rest (all of them on the scalar path).
     *
     * @param type  the weights' type
     * @param data  the rows
     * @param cols  values per row
     * @param order the kernel's float order ({@link #orderFor})
     * @param x     the activations, quantized
     * @param lanes the same activations laid out for the vector kernels, or null for the scalar path
     * @param gemv  for repack.cpp's K-quant kernels, the tokens in its gemv rather than its gemm
     *              ({@link #gemvTokens}); null when none are
     * @param r0    the first row
     * @param n     rows
     * @param y     receives the outputs
     * @param yo    index in y of (token 0, row r0)
     * @param ldy   distance in y between two tokens
     */
    static void product(GgmlType type, MemorySegment data, int cols, Order order, Q8Rows x, GgmlQuantLanes.Tokens lanes,
                        boolean[] gemv, int r0, int n, float[] y, int yo, int ldy) {
        long rowBytes = type.bytesFor(cols);
        byte[] raw = new byte[(int) rowBytes];
        int tokens = x.rows().length;
        // The vector kernels take every token as repack.cpp's gemm would; the gemv's tokens are then
        // made again by the scalar dot, where the two differ (repack.cpp's K-quants only).
        int gemmEnd = tokens;
        if (order != Order.Q4_K_REPACKED && order != Order.Q2_K_REPACKED) gemv = null;
        if (lanes != null && GgmlQuantLanes.tiled(order)) {
            // The scalar dot needs the unscaled codes only for the gemv's tokens.
            boolean codes = gemv != null, small = GgmlQuantLanes.shortRun(type, order) > 0;
            // TILED_ROWS rows at a time: their decoded weights are what the kernel holds beside the activations.
            RowCodes[] w = new RowCodes[TILED_ROWS];
            for (int s0 = 0; s0 < n; s0 += TILED_ROWS) {
                int m = Math.min(TILED_ROWS, n - s0);
                // Each batch of rows is done with before the next: its arrays are decoded into again.
                for (int k = 0; k < m; k++) w[k] = decode(type, data, rowBytes, r0 + s0 + k, raw, cols, codes, small, w[k]);
                GgmlQuantLanes.panel(type, order, w, m, lanes, gemmEnd, y, yo + s0, ldy);
                for (int k = 0; k < m; k++) gemvAgain(order, w[k], x, gemv, tokens, y, yo + s0 + k, ldy);
            }
            return;
        }
        RowCodes w = null;
        for (int k = 0; k < n; k++) {
            w = decode(type, data, rowBytes, r0 + k, raw, cols, true, false, w);
            int done = lanes == null ? 0 : GgmlQuantLanes.row(order, w, lanes, gemmEnd, y, yo, ldy, k);
            for (int t = done; t < tokens; t++) y[yo + t * ldy + k] = dot(order, w, x.rows()[t], gemv == null || !gemv[t]);
            gemvAgain(order, w, x, gemv, done, y, yo + k, ldy);
        }
    }

    /** Tokens before {@code end} that are in the gemv, made by the scalar dot over what the gemm wrote: y[yo + t·ldy]. */
    private static void gemvAgain(Order order, RowCodes w, Q8Rows x, boolean[] gemv, int end, float[] y, int yo, int ldy) {
        if (gemv == null) return;
        for (int t = 0; t < end; t++) if (gemv[t]) y[yo + t * ldy] = dot(order, w, x.rows()[t], false);
    }

    /**
     * The tokens repack.cpp's K-quant kernels take in their gemv, for llama.cpp decodes of these
     * sizes one after another (each decode's last rows past its whole fours, or all of a decode
     * of three rows or fewer): null when none are.
     */
    static boolean[] gemvTokens(int[] batches) {
        int total = 0;
        for (int b : batches) total += b;
        boolean[] gemv = new boolean[total];
        boolean any = false;
        for (int b = 0, at = 0; b < batches.length; at += batches[b++]) {
            for (int t = gemmRows(batches[b]); t < batches[b]; t++) any = gemv[at + t] = true;
        }
        return any ? gemv : null;
    }

    private static RowCodes decode(GgmlType type, MemorySegment data, long rowBytes, int row, byte[] raw, int cols, boolean codes, boolean small,
                                   RowCodes old) {
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, row * rowBytes, raw, 0, raw.length);
        return RowCodes.decode(type, raw, cols, codes, small, old);
    }

    /**
     * One output, scalar: the reference of the vector kernels.
     *
     * @param gemm for Q4_K's repacked kernels, whether the token is in repack.cpp's gemm (a whole four) or its gemv
     */
    static float dot(Order order, RowCodes w, BlockDot.Q8 a, boolean gemm) {
        float[] wq = w.q(), acc = new float[LANES];
        byte[] q = a.q();
        int blocks = w.d().length;
        switch (order) {
            case TINYBLAS -> {
                for (int b = 0; b < blocks; b++) {
                    float scale = w.d()[b] * a.d()[b];
                    for (int j = 0; j < LANES; j++) acc[j] = Math.fma(scale, (float) intDot(wq, q, 32 * b + 4 * j, 4), acc[j]);
                }
                return GgmlOrder.halvingSum(acc, 0, LANES);
            }
            case Q8_1_LANES -> {
                // ggml_vec_dot_q{4,5}_1_q8_1 (AVX2): tinyBLAS's lanes on the unsigned codes, and
                // the blocks' min · s (Q8_1's F16 block sum) fused into one float, added last.
                float summs = 0;
                for (int b = 0; b < blocks; b++) {
                    summs = Math.fma(w.dmin()[b], a.s()[b], summs);
                    float scale = w.d()[b] * a.d()[b];
                    for (int j = 0; j < LANES; j++) acc[j] = Math.fma(scale, (float) intDot(wq, q, 32 * b + 4 * j, 4), acc[j]);
                }
                return GgmlOrder.halvingSum(acc, 0, LANES) + summs;
            }
            case REPACKED -> {
                float out = 0;
                for (int b = 0; b < blocks; b++) out = Math.fma((float) intDot(wq, q, 32 * b, 32), w.d()[b] * a.d()[b], out);
                return out;
            }
            case Q2_K_REPACKED -> {
                // repack.cpp's Q2_K kernels: per 128 values (gemm) or 256 (gemv) one integer of
                // scale·(codes·activations) over 16-value runs and one of min·(run sum).
                float sum = 0, mins = 0;
                int step = gemm ? 8 : 16;
                for (int b = 0; b < blocks; b++) {
                    for (int j0 = 16 * b; j0 < 16 * b + 16; j0 += step) {
                        int is = 0, ms = 0;
                        for (int j = j0; j < j0 + step; j++) {
                            is += w.sc()[j] * intDot(wq, q, 16 * j, 16);
                            ms += w.mn()[j] * a.bsums()[j];
                        }
                        sum = Math.fma((float) is, w.d()[b] * a.d()[b], sum);
                        mins = Math.fma((float) ms, w.dmin()[b] * a.d()[b], mins);
                    }
                }
                return sum - mins;
            }
            case IQ4_XS_PANEL -> {
                // iqp.cpp's panel gemm: per 256 values one integer, Σ runs scale·(values·activations), fma'd with d_w·d_x.
                float out = 0;
                for (int b = 0; b < blocks; b++) {
                    int sum = 0;
                    for (int c = 8 * b; c < 8 * b + 8; c++) sum += w.sc()[c] * intDot(wq, q, 32 * c, 32);
                    out = Math.fma((float) sum, w.d()[b] * a.d()[b], out);
                }
                return out;
            }
            case Q3_K, Q6_K -> {
                // ggml_vec_dot_q{3,6}_K_q8_K (AVX2 branch): lane L holds, per run c of 32, the run's
                // scale (first or second 16 as L < 4) times the products at 32c + 4L..4L+3; Q6_K's
                // codes are unsigned, so 32 times the scaled activation sums of 16-value groups 2L
                // and 2L + 1 come off.
                for (int b = 0; b < blocks; b++) {
                    float d = a.d()[b] * w.d()[b];
                    for (int lane = 0; lane < LANES; lane++) {
                        int sum = 0;
                        for (int c = 0; c < 8; c++) sum += w.sc()[16 * b + 2 * c + (lane >= 4 ? 1 : 0)] * intDot(wq, q, 256 * b + 32 * c + 4 * lane, 4);
                        if (order == Order.Q6_K) {
                            int g = 16 * b + 2 * lane;
                            sum -= 32 * (a.bsums()[g] * w.sc()[g] + a.bsums()[g + 1] * w.sc()[g + 1]);
                        }
                        acc[lane] = Math.fma(d, (float) sum, acc[lane]);
                    }
                }
                return GgmlOrder.halvingSum(acc, 0, LANES);
            }
            case Q4_K_REPACKED -> {
                float sum = 0, mins = 0;
                for (int b = 0; b < blocks; b++) {
                    float dx = a.d()[b];
                    if (gemm) {
                        // repack.cpp's gemm (token rows in fours): one fma per 64 values.
                        for (int sb = 0; sb < 4; sb++) {
                            int c0 = 8 * b + 2 * sb, c1 = c0 + 1, g = 16 * b + 4 * sb;
                            int is = w.sc()[c0] * intDot(wq, q, 32 * c0, 32) + w.sc()[c1] * intDot(wq, q, 32 * c1, 32);
                            int ms = w.mn()[c0] * (a.bsums()[g] + a.bsums()[g + 1]) + w.mn()[c1] * (a.bsums()[g + 2] + a.bsums()[g + 3]);
                            sum = Math.fma((float) is, w.d()[b] * dx, sum);
                            mins = Math.fma((float) ms, w.dmin()[b] * dx, mins);
                        }
                    } else {
                        // Its gemv (the last tokens % 4 rows): one fma per 256 values.
                        int total = 0;
                        for (int c = 8 * b; c < 8 * b + 8; c++) total += w.sc()[c] * intDot(wq, q, 32 * c, 32);
                        sum = Math.fma((float) total, w.d()[b] * dx, sum);
                        mins = Math.fma((float) minSum(w, a, b), w.dmin()[b] * dx, mins);
                    }
                }
                return sum - mins;
            }
            case Q4_K, Q5_K -> {
                // ggml_vec_dot_q{4,5}_K_q8_K (AVX2 branch): lane L the products at 32c + 4L..4L+3
                // of every run c times the run's scale; the mins in four float lanes (Q4_K) or one (Q5_K).
                float[] accM = new float[4];
                float mins = 0;
                for (int b = 0; b < blocks; b++) {
                    float dx = a.d()[b];
                    for (int lane = 0; lane < LANES; lane++) {
                        int li = 0;
                        for (int c = 8 * b; c < 8 * b + 8; c++) li += w.sc()[c] * intDot(wq, q, 32 * c + 4 * lane, 4);
                        acc[lane] = Math.fma(dx * w.d()[b], (float) li, acc[lane]);
                    }
                    if (order == Order.Q5_K) {
                        mins = Math.fma(-dx * w.dmin()[b], (float) minSum(w, a, b), mins);
                    } else {
                        for (int p = 0; p < 4; p++) {
                            int g = 16 * b + 4 * p, c = 8 * b + 2 * p;
                            int mi = w.mn()[c] * (a.bsums()[g] + a.bsums()[g + 1]) + w.mn()[c + 1] * (a.bsums()[g + 2] + a.bsums()[g + 3]);
                            accM[p] = Math.fma(-dx * w.dmin()[b], (float) mi, accM[p]);
                        }
                    }
                }
                float lanes = GgmlOrder.halvingSum(acc, 0, LANES);
                return order == Order.Q5_K ? lanes + mins : lanes + GgmlOrder.halvingSum(accM, 0, 4);
            }
            default -> throw new IllegalStateException(String.valueOf(order));
        }
    }

    /** How many of a batch's rows repack.cpp's gemm takes (whole fours, when there are more than three); its gemv takes the rest. */
    static int gemmRows(int batchRows) {
        return batchRows > 3 ? batchRows - batchRows % 4 : 0;
    }

    /** Σ over the block's runs of min · (the run's activation sum). */
    private static int minSum(RowCodes w, BlockDot.Q8 a, int b) {
        int m = 0;
        for (int j = 0; j < 8; j++) m += w.mn()[8 * b + j] * (a.bsums()[16 * b + 2 * j] + a.bsums()[16 * b + 2 * j + 1]);
        return m;
    }

    /** Σ_{i<n} w[from + i]·q[from + i], integers. */
    private static int intDot(float[] w, byte[] q, int from, int n) {
        int s = 0;
        for (int i = from; i < from + n; i++) s += (int) w[i] * q[i];
        return s;
    }
}
