package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector kernels of {@link GgmlQuantDot}: the same sums in the same float order, with
 * tokens in the vector lanes, so that each lane is one output and every float step of ggml's
 * kernel is one lane-wise step here. The integer parts of ggml's kernels are computed in float
 * with fused multiply-adds, which is exact: every partial sum is an integer below 2^24 (Q6_K's
 * eight-run sums, which are not, are added in two halves and then as ints); repack.cpp's Q4_K
 * and Q4_0 take them on 16-bit integers ({@link #shortRun}). Being exact, they
 * are summed in whatever order keeps the FMA units busy: most orders run four weight rows times
 * four token groups at a time ({@link #panel}); repack.cpp's Q2_K and iqp.cpp's IQ4_XS one row at
 * a time ({@link #row}).
 * <p>
 * {@link GgmlQuantDot}'s scalar methods are the reference; {@code GgmlQuantDotTest} holds the
 * two bit-identical at every width.
 */
final class GgmlQuantLanes {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Integer> I = Simd.I;
    private static final VectorSpecies<Short> S = Simd.S;
    private static final int V = F.length();

    /** Values per cache chunk: four token groups' activations for one chunk (64 KiB with 16 lanes) stay in L1 or L2 while every row takes them in turn. */
    private static final int CHUNK = 256;
    /** Rows per register tile (times four token groups: sixteen independent chains). */
    private static final int ROWS = 4;
    /** Row-and-group combinations of a tile for one pair of groups: 2·row + group. */
    private static final int COMBOS = 2 * ROWS;

    private GgmlQuantLanes() {
    }

    /**
     * The activations of one product with V tokens per group, as the order's kernels read them,
     * each lane-major: values, scales, and only where the order reads them, Q8_1's block sums
     * (s), the 16-value sums (bsums: Q6_K's offsets, Q2_K's mins) and the 32-value sums (runSums:
     * the K-quants' min terms). For the kernels on shorts ({@link #shortRun}) the values come as
     * 16-bit integers instead, two groups to one vector ({@code pairs}: pair g/2 holds value i of
     * group g's tokens at [i·2V, i·2V + V) and of group g + 1's at [i·2V + V, i·2V + 2V); zeros
     * where the last group has no partner).
     */
    record Tokens(int tokens, float[][] q, short[][] pairs, float[][] d, float[][] s, float[][] bsums, float[][] runSums) {
        static Tokens of(GgmlQuantDot.Q8Rows x, int cols, GgmlType type, GgmlQuantDot.Order order, Parallel par) {
            int tokens = x.rows().length, groups = (tokens + V - 1) / V;
            boolean shorts = shortRun(type, order) > 0, withS = order == GgmlQuantDot.Order.Q8_1_LANES;
            boolean withB = order == GgmlQuantDot.Order.Q6_K || order == GgmlQuantDot.Order.Q2_K_REPACKED;
            boolean withRuns = order == GgmlQuantDot.Order.Q4_K_REPACKED || order == GgmlQuantDot.Order.Q4_K || order == GgmlQuantDot.Order.Q5_K;
            float[][] q = shorts ? null : new float[groups][], d = new float[groups][];
            float[][] s = withS ? new float[groups][] : null, bs = withB ? new float[groups][] : null, runs = withRuns ? new float[groups][] : null;
            short[][] pairs = shorts ? new short[(groups + 1) / 2][cols * 2 * V] : null;
            int blocks = x.rows()[0].d().length, sums = cols / 16;
            // Group by group on the product's threads: each writes its own arrays and its own half of a pair.
            par.forRange(groups, 1, (g0, g1) -> {
                for (int g = g0; g < g1; g++) {
                    d[g] = new float[blocks * V];
                    if (q != null) q[g] = new float[cols * V];
                    if (s != null) s[g] = new float[blocks * V];
                    if (bs != null) bs[g] = new float[sums * V];
                    if (runs != null) runs[g] = new float[sums / 2 * V];
                    for (int lane = 0; lane < V && g * V + lane < tokens; lane++) {
                        BlockDot.Q8 r = x.rows()[g * V + lane];
                        byte[] rq = r.q();
                        if (shorts) {
                            short[] p = pairs[g / 2];
                            for (int i = 0, at = g % 2 * V + lane; i < cols; i++, at += 2 * V) p[at] = rq[i];
                        } else {
                            float[] qg = q[g];
                            for (int i = 0, at = lane; i < cols; i++, at += V) qg[at] = rq[i];
                        }
                        for (int b = 0; b < blocks; b++) d[g][b * V + lane] = r.d()[b];
                        if (s != null) for (int b = 0; b < blocks; b++) s[g][b * V + lane] = r.s()[b];
                        if (bs != null) for (int k = 0; k < sums; k++) bs[g][k * V + lane] = r.bsums()[k];
                        if (runs != null) for (int k = 0; k < sums / 2; k++) runs[g][k * V + lane] = r.bsums()[2 * k] + r.bsums()[2 * k + 1];
                    }
                }
            });
            return new Tokens(tokens, q, pairs, d, s, bs, runs);
        }
    }

    /**
     * How many values {@link #shortSums} adds in one 16-bit integer for these weights and order,
     * or 0 where the sums are made in float: repack.cpp's Q4_K, 16 (codes at most 15 times
     * activations at most 127 in size: at most 30,480), and its Q4_0, a whole block of 32 (codes
     * in [−8, 7]: at most 32,512). A short holds 32,767. One multiply and one add of 2V shorts do
     * what two fused multiply-adds of V floats do, and ran 1.4 times as fast.
     */
    static int shortRun(GgmlType type, GgmlQuantDot.Order order) {
        if (order == GgmlQuantDot.Order.Q4_K_REPACKED) return 16;
        return order == GgmlQuantDot.Order.REPACKED && type == GgmlType.Q4_0 ? 32 : 0;
    }

    /**
     * How an order's integer sums are cut: each weight block holds {@code perBlock} segments of
     * {@code len} values, and segment j of a block goes to float lane j mod {@code lanes}, where
     * ggml adds fma(block scale, segment sum, lane) block after block. In ggml a segment's sum
     * is an integer (for the K-quants, runs of codes times their run scales); here it is the dot
     * product of prescaled weights ({@link #weights}) with the activations, exact in float in
     * any order (every partial sum is an integer below 2^24), so the kernel may sum it in
     * whatever order keeps the FMA units busy; on shorts ({@link #shortRun}) it is made of short
     * sums of the unscaled codes, each widened and taken times its run's scale. A segment is
     * contiguous, or ({@code strided}, the
     * K-quants' AVX2 vec_dot) made of four-value runs 32 values apart: lane l takes values
     * 4l..4l+3 of each 32-value run of the 256-value block.
     */
    private record Segments(int len, int perBlock, int lanes, boolean strided) {
    }

    private static Segments segments(GgmlQuantDot.Order order) {
        return switch (order) {
            // tinyBLAS_Q0 and the Q4_1/Q5_1 vec_dot: eight lanes, four values each per 32-value block.
            case TINYBLAS, Q8_1_LANES -> new Segments(4, 8, 8, false);
            // repack.cpp's Q4_0/IQ4_NL gemm: one sum per block of 32.
            case REPACKED -> new Segments(32, 1, 1, false);
            // repack.cpp's Q4_K gemm: one sum per 64 values (two runs with their scales).
            case Q4_K_REPACKED -> new Segments(64, 4, 1, false);
            case Q3_K, Q4_K, Q5_K, Q6_K -> new Segments(32, 8, 8, true);
            default -> null;
        };
    }

    /** True when {@link #panel} computes this order. */
    static boolean tiled(GgmlQuantDot.Order order) {
        return segments(order) != null;
    }

    /**
     * A row's weights as the float segments multiply them (the kernels on shorts read
     * {@link GgmlQuantDot.RowCodes#small} instead, null here): for the K-quants the codes times their
     * run's integer scale (runs of 32 for Q4_K and Q5_K, of 16 for Q3_K and Q6_K; made by the
     * decode, {@link GgmlQuantDot.RowCodes#scaled}), else the codes. Q6_K's codes are unsigned,
     * so a segment can pass 2^24 (63·128·127·32); each half of 16 values stays below (see {@link #panel}).
     * (Signed codes would keep it below, but ggml takes 32 times the activations' sums off
     * each lane by 16-value groups, not by the lane's own values, so the lanes' integers differ.)
     */
    private static float[] weights(GgmlQuantDot.RowCodes w) {
        return w.scaled() != null ? w.scaled() : w.q();
    }

    /** The tokens {@link #panel} covers: all, except repack.cpp's Q4_K gemm, which takes them in whole fours. */
    static int covered(GgmlQuantDot.Order order, int tokens, int gemmEnd) {
        return order == GgmlQuantDot.Order.Q4_K_REPACKED ? Math.min(gemmEnd, tokens) : tokens;
    }

    /**
     * Output rows [0, n) of a panel (w: their codes) for the tokens the order's vector kernel
     * covers: y[yo + t·ldy + k] for row k. In two steps per chunk of {@value #CHUNK} values,
     * which every tile of rows takes in turn so the activations come from L1: the exact integer
     * sums of the chunk's segments ({@link #segmentSums}, or {@link #shortSums} on 16-bit
     * integers; four rows times two pairs of token groups in registers), then ggml's float steps over
     * them in ggml's order ({@link #combine}); tinyBLAS's
     * four-value segments take both steps in one pass ({@link #fourLanes}). The lane sums wait in
     * {@code acc} between chunks.
     *
     * @return the number of tokens written per row
     */
    static int panel(GgmlType type, GgmlQuantDot.Order order, GgmlQuantDot.RowCodes[] w, int n, Tokens x, int gemmEnd, float[] y, int yo, int ldy) {
        Segments sg = segments(order);
        int tokens = covered(order, x.tokens(), gemmEnd);
        int groups = (tokens + V - 1) / V, blocks = w[0].d().length, lanes = sg.lanes();
        int blockValues = sg.len() * sg.perBlock(), chunk = Math.max(1, CHUNK / blockValues);
        boolean sixK = order == GgmlQuantDot.Order.Q6_K;
        // Q6_K's segments can pass 2^24: their integer sums are made of two exact halves.
        Segments pieces = sixK ? new Segments(sg.len() / 2, 2 * sg.perBlock(), lanes, true) : sg;
        float[][] wq = new float[n][];
        short[][] ws = new short[ROWS][];
        int[][] runScales = new int[ROWS][];
        int shortRun = shortRun(type, order);
        // Q4_0 has no run scales: its short sums are taken times 1 (exact).
        int[] ones = shortRun > 0 && w[0].sc() == null ? new int[blocks * blockValues / 32] : null;
        if (ones != null) java.util.Arrays.fill(ones, 1);
        for (int k = 0; k < n; k++) wq[k] = weights(w[k]);
        int tiles = (n + ROWS - 1) / ROWS, tileSums = COMBOS * lanes * V;
        // Two pairs of token groups at a time (g0, g1 and h0, h1): the sums of both pairs in one
        // pass over the weights, each weight broadcast once for four groups.
        int accLength = tiles * tileSums, scalesLength = chunk * COMBOS * V, sumsLength = chunk * pieces.perBlock() * COMBOS * V;
        float[][] acc = {ACC[0].get(accLength), ACC[1].get(accLength)};
        float[][] scales = {SCALES[0].get(scalesLength), SCALES[1].get(scalesLength)}, sums = {SUMS[0].get(sumsLength), SUMS[1].get(sumsLength)};
        float[] out = new float[2 * V], stage = STAGE.get(n * V);
        GgmlQuantDot.RowCodes[] tw = new GgmlQuantDot.RowCodes[ROWS];
        float[][] tq = new float[ROWS][];
        for (int g0 = 0; g0 < groups; g0 += 4) {
            int g1 = Math.min(g0 + 1, groups - 1), h0 = g0 + 2, h1 = Math.min(g0 + 3, groups - 1);
            boolean two = h0 < groups;
            java.util.Arrays.fill(acc[0], 0, accLength, 0f);
            java.util.Arrays.fill(acc[1], 0, accLength, 0f);
            for (int b0 = 0; b0 < blocks; b0 += chunk) {
                int b1 = Math.min(b0 + chunk, blocks), from = b0 * blockValues;
                for (int k0 = 0; k0 < n; k0 += ROWS) {
                    // The last tile repeats the panel's last row where rows run out (its sums are not read).
                    for (int r = 0; r < ROWS; r++) {
                        tw[r] = w[Math.min(k0 + r, n - 1)];
                        tq[r] = wq[Math.min(k0 + r, n - 1)];
                        ws[r] = tw[r].small();
                        runScales[r] = tw[r].sc() != null ? tw[r].sc() : ones;
                    }
                    int ao = k0 / ROWS * tileSums;
                    tileScales(tw, x.d()[g0], x.d()[g1], b0, b1, scales[0]);
                    if (two) tileScales(tw, x.d()[h0], x.d()[h1], b0, b1, scales[1]);
                    if (sg.len() == 4) {
                        fourLanes(tq[0], tq[1], tq[2], tq[3], x.q()[g0], x.q()[g1], scales[0], b0, b1, acc[0], ao);
                        if (two) fourLanes(tq[0], tq[1], tq[2], tq[3], x.q()[h0], x.q()[h1], scales[1], b0, b1, acc[1], ao);
                        continue;
                    }
                    // A lone last pair goes through the same kernel as its own partner (the second sums are not read).
                    int q0 = two ? h0 : g0, q1 = two ? h1 : g1;
                    if (shortRun > 0) {
                        shortSums(ws[0], ws[1], ws[2], ws[3], runScales, x.pairs()[g0 / 2], x.pairs()[q0 / 2], from,
                                (b1 - b0) * sg.perBlock(), sg.len(), shortRun, sums[0], sums[1]);
                    } else {
                        segmentSums(tq[0], tq[1], tq[2], tq[3], x.q()[g0], x.q()[g1], x.q()[q0], x.q()[q1], from, b1 - b0, pieces, sums[0], sums[1]);
                    }
                    for (int pair = 0; pair < (two ? 2 : 1); pair++) {
                        int p0 = pair == 0 ? g0 : h0, p1 = pair == 0 ? g1 : h1;
                        if (sixK) combineSixK(b0, sums[pair], scales[pair], acc[pair], ao, tw, x.bsums()[p0], x.bsums()[p1]);
                        else combine(sg, b0, b1, sums[pair], scales[pair], acc[pair], ao);
                    }
                }
            }
            finishPair(order, w, n, acc[0], g0, g1, lanes, x, tokens, y, yo, ldy, out, stage);
            if (two) finishPair(order, w, n, acc[1], h0, h1, lanes, x, tokens, y, yo, ldy, out, stage);
        }
        return tokens;
    }

    /**
     * A thread's working arrays for {@link #panel}, one of each per pair of token groups: lane
     * sums, block scales, segment sums; and a group's finished outputs ({@link #finishPair}).
     * Kept between calls: made afresh for every panel of rows, they took a tenth of a
     * Q8_0 product's profile.
     */
    private static final ScratchBuffer<float[]>[] ACC = pairOf(), SCALES = pairOf(), SUMS = pairOf();
    private static final ScratchBuffer<float[]> STAGE = ScratchBuffer.floats();

    @SuppressWarnings("unchecked")
    private static ScratchBuffer<float[]>[] pairOf() {
        return new ScratchBuffer[]{ScratchBuffer.floats(), ScratchBuffer.floats()};
    }

    /**
     * The outputs of the panel's n rows for token groups g0..g1 (one pair) from their lane sums
     * in acc: y[yo + t·ldy + k]. Each group's rows are finished into stage first, then written
     * token by token, n values in a row: written row by row, each output to another token's row
     * of y (a page apart in an FFN product), the stores held the Q8_0 product up.
     */
    private static void finishPair(GgmlQuantDot.Order order, GgmlQuantDot.RowCodes[] w, int n, float[] acc, int g0, int g1, int lanes,
                                   Tokens x, int tokens, float[] y, int yo, int ldy, float[] out, float[] stage) {
        for (int g = g0; g <= g1; g++) {
            for (int k = 0; k < n; k++) {
                finish(order, w[k], acc, (k / ROWS * COMBOS + 2 * (k % ROWS) + g - g0) * lanes, x, g, out);
                System.arraycopy(out, 0, stage, k * V, V);
            }
            for (int l = 0; l < V && g * V + l < tokens; l++) {
                int at = yo + (g * V + l) * ldy;
                for (int k = 0; k < n; k++) y[at + k] = stage[k * V + l];
            }
        }
    }

    /** Blocks [b0, b1)'s scales d_x·d_w for a tile's rows times groups p, q: scales[((j − b0)·COMBOS + 2·row + group)·V]. */
    private static void tileScales(GgmlQuantDot.RowCodes[] rows, float[] dp, float[] dq, int b0, int b1, float[] scales) {
        for (int j = b0; j < b1; j++) {
            FloatVector ep = FloatVector.fromArray(F, dp, j * V), eq = FloatVector.fromArray(F, dq, j * V);
            int o = (j - b0) * COMBOS;
            for (int r = 0; r < ROWS; r++) {
                float dw = rows[r].d()[j];
                ep.mul(dw).intoArray(scales, (o + 2 * r) * V);
                eq.mul(dw).intoArray(scales, (o + 2 * r + 1) * V);
            }
        }
    }

    /**
     * The integer sums of the segments of {@code blocks} blocks from value {@code from}, for
     * rows a..d (prescaled weights, {@link #weights}) times two pairs of token groups, p and q
     * into out and r and t into out2: out[(segment·COMBOS + 2·row + group)·V], segments numbered
     * from 0 block after block (a strided block of sixteen holds each lane's halves: segment
     * 2l + h starts at run 4h). Exact (every partial sum an integer below 2^24), so each runs as
     * one chain, sixteen independent chains at a time, each weight broadcast once for four
     * groups. One method with the loops written out: a vector returned from a call that the
     * JIT does not inline is boxed on the heap.
     */
    private static void segmentSums(float[] a, float[] b, float[] c, float[] d, float[] p, float[] q, float[] r, float[] t,
                                     int from, int blocks, Segments sg, float[] out, float[] out2) {
        int perBlock = sg.perBlock(), len = sg.len();
        boolean strided = sg.strided();
        // Four values at a time, a run's start computed once: a loop index the JIT can prove in bounds.
        int halves = perBlock / 8, gap = strided ? 32 : 4;
        for (int s = 0; s < blocks * perBlock; s++) {
            int j = s % perBlock, o = from + s / perBlock * perBlock * len + (strided ? 4 * (j / halves) + 8 * len * (j % halves) : j * len);
            FloatVector ap = FloatVector.zero(F), aq = ap, bp = ap, bq = ap, cp = ap, cq = ap, dp = ap, dq = ap;
            FloatVector ar = ap, at = ap, br = ap, bt = ap, cr = ap, ct = ap, dr = ap, dt = ap;
            for (int run = o; run < o + len / 4 * gap; run += gap) {
                for (int v4 = 0; v4 < 4; v4++) {
                    int i = run + v4;
                    FloatVector xp = FloatVector.fromArray(F, p, i * V), xq = FloatVector.fromArray(F, q, i * V);
                    FloatVector xr = FloatVector.fromArray(F, r, i * V), xt = FloatVector.fromArray(F, t, i * V);
                    FloatVector v = FloatVector.broadcast(F, a[i]);
                    ap = xp.fma(v, ap);
                    aq = xq.fma(v, aq);
                    ar = xr.fma(v, ar);
                    at = xt.fma(v, at);
                    v = FloatVector.broadcast(F, b[i]);
                    bp = xp.fma(v, bp);
                    bq = xq.fma(v, bq);
                    br = xr.fma(v, br);
                    bt = xt.fma(v, bt);
                    v = FloatVector.broadcast(F, c[i]);
                    cp = xp.fma(v, cp);
                    cq = xq.fma(v, cq);
                    cr = xr.fma(v, cr);
                    ct = xt.fma(v, ct);
                    v = FloatVector.broadcast(F, d[i]);
                    dp = xp.fma(v, dp);
                    dq = xq.fma(v, dq);
                    dr = xr.fma(v, dr);
                    dt = xt.fma(v, dt);
                }
            }
            int so = s * COMBOS * V;
            ap.intoArray(out, so);
            aq.intoArray(out, so + V);
            bp.intoArray(out, so + 2 * V);
            bq.intoArray(out, so + 3 * V);
            cp.intoArray(out, so + 4 * V);
            cq.intoArray(out, so + 5 * V);
            dp.intoArray(out, so + 6 * V);
            dq.intoArray(out, so + 7 * V);
            ar.intoArray(out2, so);
            at.intoArray(out2, so + V);
            br.intoArray(out2, so + 2 * V);
            bt.intoArray(out2, so + 3 * V);
            cr.intoArray(out2, so + 4 * V);
            ct.intoArray(out2, so + 5 * V);
            dr.intoArray(out2, so + 6 * V);
            dt.intoArray(out2, so + 7 * V);
        }
    }

    /**
     * {@link #segmentSums} on 16-bit integers ({@link #shortRun}): the same exact integers in the
     * same layout, made from rows a..d's 16-bit codes and two pairs of token groups' 16-bit
     * values (x and x2, as {@link Tokens#pairs}; sums into out and out2), for {@code segs}
     * contiguous segments of {@code len} values from value {@code from}. Each {@code run}
     * values' products are summed in shorts (eight chains, each weight broadcast once for four
     * groups), then widened to floats, each pair's two groups apart, and added times the scale of
     * their 32-value run (scales[row]; a segment's total stays below 2^24: exact). The
     * conversions are written out here: through a small helper the JIT left them to the Vector
     * API's Java fallback, and the Q4_K_M forward ran at half its speed.
     */
    private static void shortSums(short[] a, short[] b, short[] c, short[] d, int[][] scales, short[] x, short[] x2,
                                   int from, int segs, int len, int run, float[] out, float[] out2) {
        int[] sa = scales[0], sb = scales[1], sc = scales[2], sd = scales[3];
        int w = 2 * V;
        // Int scales are cast before they are broadcast: an int argument picks broadcast(long),
        // which checks that the value fits the lane type (MatmulProbe Q4_K: 1-4% of the product).
        for (int seg = 0; seg < segs; seg++) {
            FloatVector ap = FloatVector.zero(F), aq = ap, bp = ap, bq = ap, cp = ap, cq = ap, dp = ap, dq = ap;
            FloatVector ar = ap, at = ap, br = ap, bt = ap, cr = ap, ct = ap, dr = ap, dt = ap;
            int start = from + len * seg;
            for (int o = start; o < start + len; o += run) {
                ShortVector ia = ShortVector.zero(S), ib = ia, ic = ia, id = ia, ja = ia, jb = ia, jc = ia, jd = ia;
                for (int i = o; i < o + run; i++) {
                    ShortVector v = ShortVector.fromArray(S, x, i * w), u = ShortVector.fromArray(S, x2, i * w);
                    short wa = a[i], wb = b[i], wc = c[i], wd = d[i];
                    ia = ia.add(v.mul(wa));
                    ja = ja.add(u.mul(wa));
                    ib = ib.add(v.mul(wb));
                    jb = jb.add(u.mul(wb));
                    ic = ic.add(v.mul(wc));
                    jc = jc.add(u.mul(wc));
                    id = id.add(v.mul(wd));
                    jd = jd.add(u.mul(wd));
                }
                int r = o / 32;
                FloatVector s = FloatVector.broadcast(F, (float) sa[r]);
                ap = ((FloatVector) ia.convert(VectorOperators.S2F, 0)).fma(s, ap);
                aq = ((FloatVector) ia.convert(VectorOperators.S2F, 1)).fma(s, aq);
                ar = ((FloatVector) ja.convert(VectorOperators.S2F, 0)).fma(s, ar);
                at = ((FloatVector) ja.convert(VectorOperators.S2F, 1)).fma(s, at);
                s = FloatVector.broadcast(F, (float) sb[r]);
                bp = ((FloatVector) ib.convert(VectorOperators.S2F, 0)).fma(s, bp);
                bq = ((FloatVector) ib.convert(VectorOperators.S2F, 1)).fma(s, bq);
                br = ((FloatVector) jb.convert(VectorOperators.S2F, 0)).fma(s, br);
                bt = ((FloatVector) jb.convert(VectorOperators.S2F, 1)).fma(s, bt);
                s = FloatVector.broadcast(F, (float) sc[r]);
                cp = ((FloatVector) ic.convert(VectorOperators.S2F, 0)).fma(s, cp);
                cq = ((FloatVector) ic.convert(VectorOperators.S2F, 1)).fma(s, cq);
                cr = ((FloatVector) jc.convert(VectorOperators.S2F, 0)).fma(s, cr);
                ct = ((FloatVector) jc.convert(VectorOperators.S2F, 1)).fma(s, ct);
                s = FloatVector.broadcast(F, (float) sd[r]);
                dp = ((FloatVector) id.convert(VectorOperators.S2F, 0)).fma(s, dp);
                dq = ((FloatVector) id.convert(VectorOperators.S2F, 1)).fma(s, dq);
                dr = ((FloatVector) jd.convert(VectorOperators.S2F, 0)).fma(s, dr);
                dt = ((FloatVector) jd.convert(VectorOperators.S2F, 1)).fma(s, dt);
            }
            int so = seg * COMBOS * V;
            ap.intoArray(out, so);
            aq.intoArray(out, so + V);
            bp.intoArray(out, so + 2 * V);
            bq.intoArray(out, so + 3 * V);
            cp.intoArray(out, so + 4 * V);
            cq.intoArray(out, so + 5 * V);
            dp.intoArray(out, so + 6 * V);
            dq.intoArray(out, so + 7 * V);
            ar.intoArray(out2, so);
            at.intoArray(out2, so + V);
            br.intoArray(out2, so + 2 * V);
            bt.intoArray(out2, so + 3 * V);
            cr.intoArray(out2, so + 4 * V);
            ct.intoArray(out2, so + 5 * V);
            dr.intoArray(out2, so + 6 * V);
            dt.intoArray(out2, so + 7 * V);
        }
    }

    /**
     * tinyBLAS_Q0's eight lanes of four values per 32-value block (and the Q4_1/Q5_1 vec_dot's),
     * for blocks [b0, b1) of rows a..d times token groups p and q, the integer sums and ggml's
     * fma(scale, sum, lane) in one pass: four-value sums are too short to store and read back
     * (calling {@link #segmentSums} per lane and adding after measured at half the speed), so the
     * sums' tile is written out again here.
     * Lane sums at acc[ao + (combo·8 + l)·V], scales as {@link #tileScales} lays them out.
     */
    private static void fourLanes(float[] a, float[] b, float[] c, float[] d, float[] p, float[] q, float[] scales,
                                  int b0, int b1, float[] acc, int ao) {
        for (int l = 0; l < 8; l++) {
            FloatVector sap = FloatVector.fromArray(F, acc, ao + l * V), saq = FloatVector.fromArray(F, acc, ao + (8 + l) * V);
            FloatVector sbp = FloatVector.fromArray(F, acc, ao + (16 + l) * V), sbq = FloatVector.fromArray(F, acc, ao + (24 + l) * V);
            FloatVector scp = FloatVector.fromArray(F, acc, ao + (32 + l) * V), scq = FloatVector.fromArray(F, acc, ao + (40 + l) * V);
            FloatVector sdp = FloatVector.fromArray(F, acc, ao + (48 + l) * V), sdq = FloatVector.fromArray(F, acc, ao + (56 + l) * V);
            for (int blk = b0; blk < b1; blk++) {
                // The segment's four values written out: as a loop of three after the first, the
                // JIT kept the loop and checked every array index on each turn (MatmulProbe Q8_0
                // 56 -> 68 GFLOP/s on one thread).
                int o = 32 * blk + 4 * l;
                FloatVector xp = FloatVector.fromArray(F, p, o * V), xq = FloatVector.fromArray(F, q, o * V);
                FloatVector v = FloatVector.broadcast(F, a[o]);
                FloatVector ap = xp.mul(v), aq = xq.mul(v);
                v = FloatVector.broadcast(F, b[o]);
                FloatVector bp = xp.mul(v), bq = xq.mul(v);
                v = FloatVector.broadcast(F, c[o]);
                FloatVector cp = xp.mul(v), cq = xq.mul(v);
                v = FloatVector.broadcast(F, d[o]);
                FloatVector dp = xp.mul(v), dq = xq.mul(v);
                xp = FloatVector.fromArray(F, p, (o + 1) * V);
                xq = FloatVector.fromArray(F, q, (o + 1) * V);
                v = FloatVector.broadcast(F, a[o + 1]);
                ap = xp.fma(v, ap);
                aq = xq.fma(v, aq);
                v = FloatVector.broadcast(F, b[o + 1]);
                bp = xp.fma(v, bp);
                bq = xq.fma(v, bq);
                v = FloatVector.broadcast(F, c[o + 1]);
                cp = xp.fma(v, cp);
                cq = xq.fma(v, cq);
                v = FloatVector.broadcast(F, d[o + 1]);
                dp = xp.fma(v, dp);
                dq = xq.fma(v, dq);
                xp = FloatVector.fromArray(F, p, (o + 2) * V);
                xq = FloatVector.fromArray(F, q, (o + 2) * V);
                v = FloatVector.broadcast(F, a[o + 2]);
                ap = xp.fma(v, ap);
                aq = xq.fma(v, aq);
                v = FloatVector.broadcast(F, b[o + 2]);
                bp = xp.fma(v, bp);
                bq = xq.fma(v, bq);
                v = FloatVector.broadcast(F, c[o + 2]);
                cp = xp.fma(v, cp);
                cq = xq.fma(v, cq);
                v = FloatVector.broadcast(F, d[o + 2]);
                dp = xp.fma(v, dp);
                dq = xq.fma(v, dq);
                xp = FloatVector.fromArray(F, p, (o + 3) * V);
                xq = FloatVector.fromArray(F, q, (o + 3) * V);
                v = FloatVector.broadcast(F, a[o + 3]);
                ap = xp.fma(v, ap);
                aq = xq.fma(v, aq);
                v = FloatVector.broadcast(F, b[o + 3]);
                bp = xp.fma(v, bp);
                bq = xq.fma(v, bq);
                v = FloatVector.broadcast(F, c[o + 3]);
                cp = xp.fma(v, cp);
                cq = xq.fma(v, cq);
                v = FloatVector.broadcast(F, d[o + 3]);
                dp = xp.fma(v, dp);
                dq = xq.fma(v, dq);
                int so = (blk - b0) * COMBOS * V;
                sap = ap.fma(FloatVector.fromArray(F, scales, so), sap);
                saq = aq.fma(FloatVector.fromArray(F, scales, so + V), saq);
                sbp = bp.fma(FloatVector.fromArray(F, scales, so + 2 * V), sbp);
                sbq = bq.fma(FloatVector.fromArray(F, scales, so + 3 * V), sbq);
                scp = cp.fma(FloatVector.fromArray(F, scales, so + 4 * V), scp);
                scq = cq.fma(FloatVector.fromArray(F, scales, so + 5 * V), scq);
                sdp = dp.fma(FloatVector.fromArray(F, scales, so + 6 * V), sdp);
                sdq = dq.fma(FloatVector.fromArray(F, scales, so + 7 * V), sdq);
            }
            sap.intoArray(acc, ao + l * V);
            saq.intoArray(acc, ao + (8 + l) * V);
            sbp.intoArray(acc, ao + (16 + l) * V);
            sbq.intoArray(acc, ao + (24 + l) * V);
            scp.intoArray(acc, ao + (32 + l) * V);
            scq.intoArray(acc, ao + (40 + l) * V);
            sdp.intoArray(acc, ao + (48 + l) * V);
            sdq.intoArray(acc, ao + (56 + l) * V);
        }
    }

    /**
     * ggml's float steps over blocks [b0, b1): for each lane l and row-group combination, in
     * ggml's order, fma(block scale, segment sum, lane sum) for each of the lane's segments;
     * the lane sums at acc[ao + (combo·lanes + l)·V]. Q6_K's are {@link #combineSixK}.
     */
    private static void combine(Segments sg, int b0, int b1, float[] sums, float[] scales, float[] acc, int ao) {
        int per = sg.perBlock(), lanes = sg.lanes();
        for (int l = 0; l < lanes; l++) {
            for (int cmb = 0; cmb < COMBOS; cmb++) {
                int at = ao + (cmb * lanes + l) * V;
                FloatVector sum = FloatVector.fromArray(F, acc, at);
                for (int blk = b0; blk < b1; blk++) {
                    FloatVector scale = FloatVector.fromArray(F, scales, ((blk - b0) * COMBOS + cmb) * V);
                    for (int j = l; j < per; j += lanes) {
                        int seg = (blk - b0) * per + j;
                        sum = FloatVector.fromArray(F, sums, (seg * COMBOS + cmb) * V).fma(scale, sum);
                    }
                }
                sum.intoArray(acc, at);
            }
        }
    }

    /**
     * {@link #combine} for Q6_K's block blk (one per chunk, lane l its segment l): each lane's
     * integer is its two half sums added as ints, as ggml adds them, less 32 times the lane's
     * activation sums (bp, bq: the groups' 16-value sums) times the rows' run scales: ggml's
     * offset of the unsigned codes. The groups' sums are loaded once per lane for all rows.
     */
    private static void combineSixK(int blk, float[] sums, float[] scales, float[] acc, int ao, GgmlQuantDot.RowCodes[] rows,
                                    float[] bp, float[] bq) {
        for (int l = 0; l < 8; l++) {
            int g = 16 * blk + 2 * l;
            FloatVector p0 = FloatVector.fromArray(F, bp, g * V), p1 = FloatVector.fromArray(F, bp, (g + 1) * V);
            FloatVector q0 = FloatVector.fromArray(F, bq, g * V), q1 = FloatVector.fromArray(F, bq, (g + 1) * V);
            for (int r = 0; r < ROWS; r++) {
                // The row's two run scales, converted once for both groups.
                int[] sc = rows[r].sc();
                float s0 = sc[g], s1 = sc[g + 1];
                sixKLane(l, 2 * r, p0.mul(s0).add(p1.mul(s1)), sums, scales, acc, ao);
                sixKLane(l, 2 * r + 1, q0.mul(s0).add(q1.mul(s1)), sums, scales, acc, ao);
            }
        }
    }

    /**
     * Lane l of row-group combination cmb: its two half sums added, less 32·sub, then ggml's
     * fma with the block scale. ggml makes that integer in int32 and rounds it to float once.
     * Here the halves and 32·sub are integers exact in float (each half below 2^24, |sub| at
     * most 2·128·2032), so where the halves' float sum stays below 2^24 it is exact too, and
     * fma(sub, −32, sum) rounds the exact integer once, as ggml's conversion does: two float
     * steps instead of four conversions (which share one port with the FMAs). A vector with a
     * lane at 2^24 or more (codes, scales and activations all near their tops) takes the int
     * path.
     */
    private static void sixKLane(int l, int cmb, FloatVector sub, float[] sums, float[] scales, float[] acc, int ao) {
        FloatVector h0 = FloatVector.fromArray(F, sums, (2 * l * COMBOS + cmb) * V);
        FloatVector h1 = FloatVector.fromArray(F, sums, ((2 * l + 1) * COMBOS + cmb) * V);
        FloatVector h = h0.add(h1), i;
        if (h.abs().compare(VectorOperators.LT, EXACT).allTrue()) {
            i = sub.fma(MINUS_32, h);
        } else {
            IntVector off = ((IntVector) sub.convert(VectorOperators.F2I, 0)).lanewise(VectorOperators.LSHL, 5);
            i = (FloatVector) ((IntVector) h0.convert(VectorOperators.F2I, 0)).add((IntVector) h1.convert(VectorOperators.F2I, 0))
                    .sub(off).convert(VectorOperators.I2F, 0);
        }
        int at = ao + (cmb * 8 + l) * V;
        i.fma(FloatVector.fromArray(F, scales, cmb * V), FloatVector.fromArray(F, acc, at)).intoArray(acc, at);
    }

    /** 2^24: integers of smaller size are exact in float. */
    private static final float EXACT = 0x1p24f;
    private static final FloatVector MINUS_32 = FloatVector.broadcast(F, -32f);

    /**
     * One row and token group's output from its lane sums at sums[base·V], into out[0, V): the
     * order's last float steps. Helpers write vectors to out[V, 2V) rather than return them: a
     * vector returned from a call the JIT does not inline is boxed on the heap.
     */
    private static void finish(GgmlQuantDot.Order order, GgmlQuantDot.RowCodes w, float[] sums, int base, Tokens x, int g, float[] out) {
        float[] d = x.d()[g], runs = x.runSums() != null ? x.runSums()[g] : null;
        if (order == GgmlQuantDot.Order.REPACKED || order == GgmlQuantDot.Order.Q4_K_REPACKED) at(sums, base).intoArray(out, 0);
        else halve(sums, base, out);
        switch (order) {
            case Q4_K_REPACKED -> q4kGemmMins(w, d, runs, out);
            case Q8_1_LANES -> minTerms(w, x.s()[g], out);
            case Q4_K -> q4kMins(w, d, runs, out);
            case Q5_K -> q5kMins(w, d, runs, out);
            default -> {
                return;
            }
        }
        FloatVector main = FloatVector.fromArray(F, out, 0), mins = FloatVector.fromArray(F, out, V);
        // repack.cpp's Q4_K gemm subtracts its mins; the vec_dot kernels add them negated.
        (order == GgmlQuantDot.Order.Q4_K_REPACKED ? main.sub(mins) : main.add(mins)).intoArray(out, 0);
    }

    /** ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)): the halving of ggml's eight lanes, token by token, into out[0, V). */
    private static void halve(float[] a, int base, float[] out) {
        FloatVector h0 = at(a, base).add(at(a, base + 4)), h1 = at(a, base + 1).add(at(a, base + 5));
        FloatVector h2 = at(a, base + 2).add(at(a, base + 6)), h3 = at(a, base + 3).add(at(a, base + 7));
        h0.add(h2).add(h1.add(h3)).intoArray(out, 0);
    }

    /**
     * Output row k of the panel, for the orders {@link #panel} does not take (repack.cpp's Q2_K,
     * iqp.cpp's IQ4_XS panels): y[yo + t·ldy + k]. repack.cpp's K-quant gemm covers the tokens
     * before {@code gemmEnd}; the rest are left to the scalar gemv.
     *
     * @return the number of tokens written
     */
    static int row(GgmlQuantDot.Order order, GgmlQuantDot.RowCodes w, Tokens x, int gemmEnd, float[] y, int yo, int ldy, int k) {
        int tokens = order == GgmlQuantDot.Order.Q2_K_REPACKED ? Math.min(gemmEnd, x.tokens()) : x.tokens();
        int groups = (tokens + V - 1) / V;
        float[] lanes = new float[V];
        for (int g = 0; g < groups; g++) {
            float[] q = x.q()[g], d = x.d()[g], bs = x.bsums() != null ? x.bsums()[g] : null;
            FloatVector out = order == GgmlQuantDot.Order.Q2_K_REPACKED ? q2kGemm(w, q, d, bs) : iq4xsPanel(w, q, d);
            out.intoArray(lanes, 0);
            for (int l = 0; l < V && g * V + l < tokens; l++) y[yo + (g * V + l) * ldy + k] = lanes[l];
        }
        return tokens;
    }

    private static FloatVector at(float[] a, int i) {
        return FloatVector.fromArray(F, a, i * V);
    }

    /** Σ_{i<n} q[from + i]·w[from + i] over the group's lanes, exactly (integers far below 2^24). */
    private static FloatVector dot(float[] q, float[] w, int from, int n) {
        FloatVector s = at(q, from).mul(w[from]);
        for (int i = from + 1; i < from + n; i++) s = at(q, i).fma(FloatVector.broadcast(F, w[i]), s);
        return s;
    }

    /** Q4_1/Q5_1: Σ_b fma(min_b, s_b, ·), Q8_1's F16 block sums times the weights' block minimums. */
    private static void minTerms(GgmlQuantDot.RowCodes w, float[] s, float[] out) {
        FloatVector sum = FloatVector.zero(F);
        for (int b = 0; b < w.d().length; b++) sum = at(s, b).fma(FloatVector.broadcast(F, w.dmin()[b]), sum);
        sum.intoArray(out, V);
    }


    /**
     * repack.cpp's Q4_K gemm's min terms: per 64 values, fma(run mins · 32-value activation sums
     * (runs), dx · dmin, ·); the integer inside is exact in float in any order.
     */
    private static void q4kGemmMins(GgmlQuantDot.RowCodes w, float[] d, float[] runs, float[] out) {
        FloatVector mins = FloatVector.zero(F);
        int[] mn = w.mn();
        for (int b = 0; b < w.d().length; b++) {
            FloatVector minScale = at(d, b).mul(w.dmin()[b]);
            for (int c = 8 * b; c < 8 * b + 8; c += 2) mins = runMins(runs, mn, c).fma(minScale, mins);
        }
        mins.intoArray(out, V);
    }

    /** Runs c and c + 1's mins times their activation sums: an exact integer. */
    private static FloatVector runMins(float[] runs, int[] mn, int c) {
        return at(runs, c + 1).fma(FloatVector.broadcast(F, (float) mn[c + 1]), at(runs, c).mul(mn[c]));
    }

    private static FloatVector q2kGemm(GgmlQuantDot.RowCodes w, float[] q, float[] d, float[] bs) {
        FloatVector sum = FloatVector.zero(F), mins = sum;
        for (int b = 0; b < w.d().length; b++) {
            FloatVector dx = at(d, b), scale = dx.mul(w.d()[b]), minScale = dx.mul(w.dmin()[b]);
            for (int j0 = 16 * b; j0 < 16 * b + 16; j0 += 8) {
                FloatVector is = FloatVector.zero(F), ms = is;
                for (int j = j0; j < j0 + 8; j++) {
                    is = dot(q, w.q(), 16 * j, 16).fma(FloatVector.broadcast(F, (float) w.sc()[j]), is);
                    ms = at(bs, j).fma(FloatVector.broadcast(F, (float) w.mn()[j]), ms);
                }
                sum = is.fma(scale, sum);
                mins = ms.fma(minScale, mins);
            }
        }
        return sum.sub(mins);
    }


    private static void q5kMins(GgmlQuantDot.RowCodes w, float[] d, float[] runs, float[] out) {
        FloatVector mins = FloatVector.zero(F);
        for (int b = 0; b < w.d().length; b++) {
            FloatVector m = FloatVector.zero(F);
            for (int j = 0; j < 8; j++) m = at(runs, 8 * b + j).fma(FloatVector.broadcast(F, (float) w.mn()[8 * b + j]), m);
            mins = at(d, b).neg().mul(w.dmin()[b]).fma(m, mins);
        }
        mins.intoArray(out, V);
    }

    /** ggml_vec_dot_q4_K_q8_K's four float lanes of min terms (runs 2p and 2p + 1 in lane p), halved, into out[V, 2V). */
    private static void q4kMins(GgmlQuantDot.RowCodes w, float[] d, float[] runs, float[] out) {
        FloatVector m0 = FloatVector.zero(F), m1 = m0, m2 = m0, m3 = m0;
        int[] mn = w.mn();
        for (int b = 0; b < w.d().length; b++) {
            FloatVector scale = at(d, b).neg().mul(w.dmin()[b]);
            int c = 8 * b;
            m0 = scale.fma(runMins(runs, mn, c), m0);
            m1 = scale.fma(runMins(runs, mn, c + 2), m1);
            m2 = scale.fma(runMins(runs, mn, c + 4), m2);
            m3 = scale.fma(runMins(runs, mn, c + 6), m3);
        }
        m0.add(m2).add(m1.add(m3)).intoArray(out, V);
    }

    private static FloatVector iq4xsPanel(GgmlQuantDot.RowCodes w, float[] q, float[] d) {
        FloatVector out = FloatVector.zero(F);
        for (int b = 0; b < w.d().length; b++) {
            // A run's scaled sum stays below 2^24, the block's need not: runs are added as ints.
            IntVector sum = IntVector.zero(I);
            for (int c = 8 * b; c < 8 * b + 8; c++) sum = sum.add(ints(dot(q, w.q(), 32 * c, 32).mul(w.sc()[c])));
            out = ((FloatVector) sum.convert(VectorOperators.I2F, 0)).fma(at(d, b).mul(w.d()[b]), out);
        }
        return out;
    }



    private static IntVector ints(FloatVector v) {
        return (IntVector) v.convert(VectorOperators.F2I, 0);
    }
}
