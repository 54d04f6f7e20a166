package io.jdpo.model;

import io.jdpo.tensor.CMath;
import io.jdpo.tensor.GgmlOrder;
import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.Simd;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention in llama.cpp's float order (the deployed arithmetic on models whose products all
 * have ggml's order): a vector version with {@link GgmlOrder#LANES} cells per vector, which is
 * exactly ggml's lane of each cell, beside its scalar reference {@link #scalar}
 * ({@code GgmlAttentionTest} holds them bit-identical).
 */
final class GgmlAttention {
    private GgmlAttention() {
    }

    /** {@link Attention#forward} in ggml's order: the vector kernels for two rows or more, else the scalar reference. */
    static void forward(float[] q, float[] k, float[] v, float[] out, Layout layout, ModelConfig cfg, Parallel par, Attention.Options opt) {
        if (!Simd.VECTOR || layout.length() < 2) {
            scalar(q, k, v, out, layout, cfg, par, opt);
            return;
        }
        vector(q, k, v, out, layout, cfg, par, opt);
    }

    /**
     * The vector version of {@link #scalar}. Keys and values are laid out transposed per
     * segment and KV head over the cells (value d of the key in cell c at d·cells + c), so one
     * vector holds ggml's lanes of a run of cells: the scores are {@link GgmlOrder#vecDotLanes},
     * the exponentials {@link GgmlOrder#expfLanes}, each vector's halving sum one of ggml's
     * chunk sums, and each output value the fused multiply-adds of whole vectors of cells, halved.
     */
    static void vector(float[] q, float[] k, float[] v, float[] out, Layout layout, ModelConfig cfg, Parallel par, Attention.Options opt) {
        int heads = cfg.heads(), hd = cfg.headDim(), kvHeads = cfg.kvHeads(), group = heads / kvHeads;
        int qd = cfg.qDim(), kvd = cfg.kvDim(), T = layout.length(), L = GgmlOrder.LANES;
        int[] pos = layout.positions;
        int segs = layout.segments.length;
        int[] segmentOf = new int[T];
        for (int i = 0; i < segs; i++) {
            for (int t = layout.segments[i][0]; t < layout.segments[i][1]; t++) segmentOf[t] = i;
        }
        int cells = cells(T, L);
        // Per segment and KV head: the keys and values it sees, by cell (its prefix, then its own rows).
        float[][] kT = new float[segs * kvHeads][], vT = new float[segs * kvHeads][];
        par.forRange(segs * kvHeads, 1, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int[] seg = layout.segments[i / kvHeads];
                int g = i % kvHeads;
                float[] kt = new float[hd * cells], vt = new float[hd * cells];
                for (int j = 0; j < seg[2]; j++) transposeRow(k, v, j, j, g, hd, kvd, cells, kt, vt);
                for (int j = seg[0]; j < seg[1]; j++) transposeRow(k, v, j, j, g, hd, kvd, cells, kt, vt);
                kT[i] = kt;
                vT[i] = vt;
            }
        });
        float qScale = opt.scalesQueries() ? opt.scale() : 1f, softmaxScale = opt.scalesQueries() ? 1f : opt.scale();
        // A row costs the cells it sees: split by that, or the thread with the later rows does twice the work.
        par.forRangeWeighted(T, t -> seen(pos[t], opt), (t0, t1) -> {
            Head head = new Head(hd, cells, qScale, softmaxScale, opt.cap());
            // Head by head: one head's keys and values (hd × cells floats each) stay in the
            // cache while every row of the range reads them; row by row, each row read every
            // head's (two MiB at 16 heads, 64 values, 256 cells) through the cache again.
            for (int h = 0; h < heads; h++) {
                for (int t = t0; t < t1; t++) {
                    int[] seg = layout.segments[segmentOf[t]], seen = seenCells(seg, pos[t], opt);
                    int view = segmentOf[t] * kvHeads + h / group;
                    head.attend(q, t * qd + h * hd, kT[view], vT[view], seen[0], seen[1], seen[2], t + 1, out, t * qd + h * hd);
                }
            }
        });
    }

    /** The first cell the query at qPos sees: 0, or the start of its sliding window. */
    private static int firstSeen(int qPos, Attention.Options opt) {
        return opt.window() > 0 ? Math.max(0, qPos - opt.window() + 1) : 0;
    }

    /**
     * The KV cells of a layout, as llama.cpp fills an empty cache: row t's key in cell t (a
     * pair's rejected completion after the chosen one, not at its rope positions), rounded up
     * to whole blocks of four vectors.
     */
    private static int cells(int rows, int lanes) {
        return ((rows - 1) / (4 * lanes) + 1) * 4 * lanes;
    }

    /**
     * The cells a query of segment {@code seg} at rope position qPos sees before its own
     * (cells [lo, end) but [holeFrom, holeTo)): its segment's prefix and its own rows, within
     * its window. A completion of a pair sees the prompt's cells, then its own after the other
     * completion's, which are masked.
     */
    private static int[] seenCells(int[] seg, int qPos, Attention.Options opt) {
        int shared = seg[2], start = seg[0], shift = start - shared, lo = firstSeen(qPos, opt);
        if (shift == 0) return new int[]{lo, 0, 0};
        // Past the prompt the window starts in the completion's own cells.
        return lo >= shared ? new int[]{lo + shift, 0, 0} : new int[]{lo, shared, start};
    }

    /** How many cells the query at qPos sees: its work in {@link #vector}. */
    private static long seen(int qPos, Attention.Options opt) {
        return qPos + 1 - firstSeen(qPos, opt);
    }

    /**
     * One query row and head, with a thread's buffers. A method of its own, called for every
     * row and head, so that the JIT compiles it whole rather than as an on-stack replacement of
     * one long loop, which uncommon traps kept sending back to the interpreter.
     */
    private static final class Head {
        private static final int L = GgmlOrder.LANES;
        private static final VectorSpecies<Float> S = GgmlOrder.species();
        private final int hd, cells;
        private final float qScale, softmaxScale, cap, invCap;
        private final float[] qs, p, lanes = new float[L], block = new float[L * L], scratch = new float[4 * L * L];

        Head(int hd, int cells, float qScale, float softmaxScale, float cap) {
            this.hd = hd;
            this.cells = cells;
            this.qScale = qScale;
            this.softmaxScale = softmaxScale;
            this.cap = cap;
            this.invCap = cap > 0 ? 1f / cap : 0;
            this.qs = new float[hd];
            this.p = new float[cells];
        }

        /** out[oo, oo + hd) = attention of the query at q[qo] over the cells [lo, end) but [holeFrom, holeTo) of kt and vt. */
        void attend(float[] q, int qo, float[] kt, float[] vt, int lo, int holeFrom, int holeTo, int end, float[] out, int oo) {
            int c0 = lo - lo % L;
            // Vectors of cells wholly in the hole (the other completion's) hold exact zeros after
            // the softmax, and adding zeros leaves every sum as it is: the scores and the value
            // products step over them (the chunk sums still take their zeros, in their places).
            int skipFrom = holeTo > holeFrom ? (holeFrom + L - 1) / L * L : end, skipTo = holeTo > holeFrom ? holeTo / L * L : end;
            if (skipTo <= skipFrom) skipFrom = skipTo = end;
            for (int i = 0; i < hd; i++) qs[i] = q[qo + i] * qScale;
            float max = Float.NEGATIVE_INFINITY;
            for (int c = c0; c < end; c = next(c, skipFrom, skipTo)) {
                GgmlOrder.vecDotLanes(kt, cells, c, qs, 0, hd, scratch, p, c);
                FloatVector z = FloatVector.fromArray(S, p, c);
                if (cap > 0) {
                    z.intoArray(lanes, 0);
                    for (int l = 0; l < L; l++) lanes[l] = CMath.tanh(lanes[l] * invCap) * cap;
                    z = FloatVector.fromArray(S, lanes, 0);
                }
                z = z.mul(softmaxScale);
                VectorMask<Float> visible = visible(S, c, lo, holeFrom, holeTo, end);
                z = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY).blend(z, visible);
                z.intoArray(p, c);
                max = Math.max(max, z.reduceLanes(VectorOperators.MAX));
            }
            double sum = 0;
            // The chunks' halving sums L chunks at a time (GgmlOrder.halvingSums), added to the double in chunk order.
            for (int c = c0; c < end; c += L) {
                VectorMask<Float> visible = visible(S, c, lo, holeFrom, holeTo, end);
                FloatVector x = FloatVector.fromArray(S, p, c).sub(max);
                // Masked cells are exact zeros (ggml_v_expf of -inf); computed here from 0 and blended out.
                FloatVector e = c >= skipFrom && c < skipTo ? FloatVector.zero(S)
                        : FloatVector.zero(S).blend(GgmlOrder.expfLanes(FloatVector.zero(S).blend(x, visible)), visible);
                e.intoArray(p, c);
                int j = (c - c0) / L % L;
                e.intoArray(block, j * L);
                if (j == L - 1 || c + L >= end) sum = addChunkSums(sum, j + 1);
            }
            float inv = (float) (1.0 / sum);
            for (int c = c0; c < end; c = next(c, skipFrom, skipTo)) FloatVector.fromArray(S, p, c).mul(inv).intoArray(p, c);
            int d = 0;
            // Four output values at a time: four independent chains share each load of p. Their
            // lane sums wait in block until L values are there, then are halved together.
            for (; d + 4 <= hd; d += 4) {
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                int v0 = d * cells;
                for (int c = c0; c < end; c = next(c, skipFrom, skipTo)) {
                    FloatVector pc = FloatVector.fromArray(S, p, c);
                    a0 = FloatVector.fromArray(S, vt, v0 + c).fma(pc, a0);
                    a1 = FloatVector.fromArray(S, vt, v0 + cells + c).fma(pc, a1);
                    a2 = FloatVector.fromArray(S, vt, v0 + 2 * cells + c).fma(pc, a2);
                    a3 = FloatVector.fromArray(S, vt, v0 + 3 * cells + c).fma(pc, a3);
                }
                int j = d % L;
                a0.intoArray(block, j * L);
                a1.intoArray(block, (j + 1) * L);
                a2.intoArray(block, (j + 2) * L);
                a3.intoArray(block, (j + 3) * L);
                if (j + 4 == L) GgmlOrder.halvingSums(block, 0, out, oo + d + 4 - L);
            }
            // A last partial block's values, one halving each.
            for (int halved = d - d % L, j = halved; j < d; j++) out[oo + j] = GgmlOrder.halvingSum(block, (j - halved) * L, L);
            for (; d < hd; d++) {
                FloatVector acc = FloatVector.zero(S);
                for (int c = c0; c < end; c = next(c, skipFrom, skipTo)) acc = FloatVector.fromArray(S, vt, d * cells + c).fma(FloatVector.fromArray(S, p, c), acc);
                acc.intoArray(lanes, 0);
                out[oo + d] = GgmlOrder.halvingSum(lanes, 0, L);
            }
        }

        /** The vector of cells after c's, stepping over [skipFrom, skipTo). */
        private static int next(int c, int skipFrom, int skipTo) {
            return c + L == skipFrom ? skipTo : c + L;
        }

        /** sum + the halving sums of the first n chunks in block, one after another, as llama.cpp adds them (in double). */
        private double addChunkSums(double sum, int n) {
            if (n == L) {
                GgmlOrder.halvingSums(block, 0, lanes, 0);
                for (int j = 0; j < L; j++) sum += lanes[j];
            } else {
                for (int j = 0; j < n; j++) sum += GgmlOrder.halvingSum(block, j * L, L);
            }
            return sum;
        }
    }

    /** Cells [c, c + lanes) that a query sees: from lo (its window) to its own cell, but the hole (the other completion's cells). */
    private static VectorMask<Float> visible(VectorSpecies<Float> s, int c, int lo, int holeFrom, int holeTo, int end) {
        VectorMask<Float> in = s.indexInRange(c - lo, end - lo);
        return holeTo > holeFrom ? in.andNot(s.indexInRange(c - holeFrom, holeTo - holeFrom)) : in;
    }

    private static void transposeRow(float[] k, float[] v, int row, int cell, int g, int hd, int kvd, int cells, float[] kt, float[] vt) {
        int o = row * kvd + g * hd;
        for (int d = 0; d < hd; d++) {
            kt[d * cells + cell] = k[o + d];
            vt[d * cells + cell] = v[o + d];
        }
    }

    /**
     * The scalar reference: {@link Attention#forward} computed as llama.cpp's CPU graph computes
     * it with an F32 KV cache, bit for bit: a key sits in the cell of its row (as llama.cpp fills an
     * empty cache, a pair's rejected completion after the chosen one), which decides its lane. Per query row and head: the query scaled first
     * where the architecture does; each score {@code ggml_vec_dot_f32}(key, query); soft-capped
     * as ggml_scale(1/cap), tanhf, ggml_scale(cap); times the softmax's scale; e^(z − max)
     * by {@code ggml_v_expf}, summed a vector of cells at a time (halved in float, added in
     * double), times the float of the sum's inverse; then each output value tinyBLAS's dot of
     * the V column and the probabilities over the cells, lane = cell mod lanes (a single query
     * takes {@code ggml_vec_dot_f32} instead, as llama.cpp does for one token). Masked cells
     * hold exact zeros there, so leaving them out changes nothing.
     */
    static void scalar(float[] q, float[] k, float[] v, float[] out, Layout layout, ModelConfig cfg, Parallel par, Attention.Options opt) {
        int heads = cfg.heads(), hd = cfg.headDim(), group = heads / cfg.kvHeads();
        int qd = cfg.qDim(), kvd = cfg.kvDim(), T = layout.length(), lanes = GgmlOrder.LANES;
        int[] pos = layout.positions;
        int[] segmentOf = new int[T];
        for (int i = 0; i < layout.segments.length; i++) {
            for (int t = layout.segments[i][0]; t < layout.segments[i][1]; t++) segmentOf[t] = i;
        }
        int cells = cells(T, lanes);
        float qScale = opt.scalesQueries() ? opt.scale() : 1f, softmaxScale = opt.scalesQueries() ? 1f : opt.scale();
        float cap = opt.cap(), invCap = cap > 0 ? 1f / cap : 0;
        par.forRange(T, 1, (t0, t1) -> {
            float[] qs = new float[hd], p = new float[cells], acc = new float[lanes], chunk = new float[lanes];
            int[] rowOfCell = new int[cells];
            for (int t = t0; t < t1; t++) {
                int[] seg = layout.segments[segmentOf[t]];
                java.util.Arrays.fill(rowOfCell, -1);
                for (int j = 0; j < seg[2]; j++) rowOfCell[j] = j;
                for (int j = seg[0]; j <= t; j++) rowOfCell[j] = j;
                int qPos = pos[t];
                for (int h = 0; h < heads; h++) {
                    int g = h / group, qo = t * qd + h * hd;
                    for (int i = 0; i < hd; i++) qs[i] = q[qo + i] * qScale;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int c = 0; c < cells; c++) {
                        int j = rowOfCell[c];
                        if (j < 0 || (opt.window() > 0 && qPos - pos[j] >= opt.window())) {
                            p[c] = Float.NEGATIVE_INFINITY;
                            continue;
                        }
                        float z = GgmlOrder.vecDot(k, j * kvd + g * hd, qs, 0, hd);
                        if (cap > 0) z = CMath.tanh(z * invCap) * cap;
                        z *= softmaxScale;
                        p[c] = z;
                        max = Math.max(max, z);
                    }
                    double sum = 0;
                    for (int c0 = 0; c0 < cells; c0 += lanes) {
                        boolean any = false;
                        for (int e = 0; e < lanes; e++) {
                            float x = p[c0 + e];
                            float ex = x == Float.NEGATIVE_INFINITY ? 0f : GgmlOrder.expf(x - max);
                            p[c0 + e] = ex;
                            chunk[e] = ex;
                            any |= ex != 0;
                        }
                        if (any) sum += GgmlOrder.halvingSum(chunk, 0, lanes);
                    }
                    float inv = (float) (1.0 / sum);
                    for (int c = 0; c < cells; c++) p[c] *= inv;
                    int oo = t * qd + h * hd;
                    for (int d = 0; d < hd; d++) {
                        if (T >= 2) {
                            java.util.Arrays.fill(acc, 0f);
                            for (int c = 0; c < cells; c++) {
                                int j = rowOfCell[c];
                                if (j >= 0 && p[c] != 0) acc[c % lanes] = Math.fma(v[j * kvd + g * hd + d], p[c], acc[c % lanes]);
                            }
                            out[oo + d] = GgmlOrder.halvingSum(acc, 0, lanes);
                        } else {
                            float[] col = new float[cells];
                            for (int c = 0; c < cells; c++) if (rowOfCell[c] >= 0) col[c] = v[rowOfCell[c] * kvd + g * hd + d];
                            out[oo + d] = GgmlOrder.vecDot(col, 0, p, 0, cells);
                        }
                    }
                }
            }
        });
    }

}
