package io.jdpo.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector kernels of {@link GgmlQuantDot}: the same sums in the same float order, with
 * tokens in the vector lanes, so that each lane is one output and every float step of ggml's
 * kernel is one lane-wise step here. The integer parts of ggml's kernels are computed in float
 * with fused multiply-adds, which is exact: every partial sum is an integer below 2^24 (Q6_K's
 * eight-run sums, which are not, are added in two halves and then as ints).
 * <p>
 * {@link GgmlQuantDot}'s scalar methods are the reference; {@code GgmlQuantDotTest} holds the
 * two bit-identical at every width.
 */
final class GgmlQuantLanes {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final VectorSpecies<Integer> I = Simd.I;
    private static final int V = F.length();

    private GgmlQuantLanes() {
    }

    /** The activations of one product with V tokens per group: values, scales and 16-value sums, each lane-major. */
    record Tokens(int tokens, float[][] q, float[][] d, float[][] s, float[][] bsums) {
        static Tokens of(GgmlQuantDot.Q8Rows x, int cols) {
            int tokens = x.rows().length, groups = (tokens + V - 1) / V;
            int blocks = x.rows()[0].d().length, sums = cols / 16;
            float[][] q = new float[groups][cols * V], d = new float[groups][blocks * V], s = new float[groups][blocks * V];
            float[][] bs = new float[groups][sums * V];
            for (int t = 0; t < tokens; t++) {
                BlockDot.Q8 r = x.rows()[t];
                int g = t / V, lane = t % V;
                for (int i = 0; i < cols; i++) q[g][i * V + lane] = r.q()[i];
                for (int b = 0; b < blocks; b++) {
                    d[g][b * V + lane] = r.d()[b];
                    s[g][b * V + lane] = r.s()[b];
                }
                for (int k = 0; k < sums; k++) bs[g][k * V + lane] = r.bsums()[k];
            }
            return new Tokens(tokens, q, d, s, bs);
        }
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

    /** Lane L of ggml's eight float lanes (tinyBLAS_Q0, the K-quants' vec_dot) over all blocks, for the group's tokens. */
    private static FloatVector lane(GgmlQuantDot.Order order, GgmlQuantDot.RowCodes w, float[] q, float[] d, float[] bs, int lane) {
        return switch (order) {
            case TINYBLAS, Q8_1_LANES -> tinyBlasLane(w, q, d, lane);
            case Q4_K, Q5_K -> q5kLane(w, q, d, lane);
            case Q3_K -> q3kLane(w, q, d, lane);
            default -> q6kLane(w, q, d, bs, lane);
        };
    }

    /** ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)): the halving of the eight lanes, token by token. */
    private static FloatVector halve(GgmlQuantDot.Order o, GgmlQuantDot.RowCodes w, float[] q, float[] d, float[] bs) {
        FloatVector h0 = lane(o, w, q, d, bs, 0).add(lane(o, w, q, d, bs, 4)), h1 = lane(o, w, q, d, bs, 1).add(lane(o, w, q, d, bs, 5));
        FloatVector h2 = lane(o, w, q, d, bs, 2).add(lane(o, w, q, d, bs, 6)), h3 = lane(o, w, q, d, bs, 3).add(lane(o, w, q, d, bs, 7));
        return h0.add(h2).add(h1.add(h3));
    }

    /**
     * Output row k of the panel for the tokens whose lanes the order covers: y[yo + t·ldy + k].
     * repack.cpp's K-quant gemm covers the tokens before {@code gemmEnd}; the rest are left to
     * the scalar gemv.
     *
     * @return the number of tokens written
     */
    static int row(GgmlQuantDot.Order order, GgmlQuantDot.RowCodes w, Tokens x, int gemmEnd, float[] y, int yo, int ldy, int k) {
        boolean gemmOnly = order == GgmlQuantDot.Order.Q4_K_REPACKED || order == GgmlQuantDot.Order.Q2_K_REPACKED;
        int tokens = gemmOnly ? Math.min(gemmEnd, x.tokens()) : x.tokens();
        int groups = (tokens + V - 1) / V;
        float[] lanes = new float[V];
        for (int g = 0; g < groups; g++) {
            float[] q = x.q()[g], d = x.d()[g], bs = x.bsums()[g];
            FloatVector out = switch (order) {
                case TINYBLAS -> tinyBlas(w, q, d);
                case Q3_K, Q6_K -> halve(order, w, q, d, bs);
                case REPACKED -> repacked(w, q, d);
                case IQ4_XS_PANEL -> iq4xsPanel(w, q, d);
                case Q8_1_LANES -> halve(order, w, q, d, bs).add(minTerms(w, x.s()[g]));
                case Q4_K_REPACKED -> q4kGemm(w, q, d, bs);
                case Q2_K_REPACKED -> q2kGemm(w, q, d, bs);
                case Q5_K -> halve(order, w, q, d, bs).add(q5kMins(w, d, bs));
                case Q4_K -> halve(order, w, q, d, bs).add(q4kMins(w, d, bs));
            };
            out.intoArray(lanes, 0);
            for (int l = 0; l < V && g * V + l < tokens; l++) y[yo + (g * V + l) * ldy + k] = lanes[l];
        }
        return tokens;
    }

    /**
     * tinyBLAS_Q0's eight lanes in one pass over the blocks (each block's scale computed once),
     * halved as {@link #halve} halves them.
     */
    private static FloatVector tinyBlas(GgmlQuantDot.RowCodes w, float[] q, float[] d) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        float[] wq = w.q();
        for (int b = 0; b < w.d().length; b++) {
            FloatVector scale = at(d, b).mul(w.d()[b]);
            int o = 32 * b;
            a0 = scale.fma(dot(q, wq, o, 4), a0);
            a1 = scale.fma(dot(q, wq, o + 4, 4), a1);
            a2 = scale.fma(dot(q, wq, o + 8, 4), a2);
            a3 = scale.fma(dot(q, wq, o + 12, 4), a3);
            a4 = scale.fma(dot(q, wq, o + 16, 4), a4);
            a5 = scale.fma(dot(q, wq, o + 20, 4), a5);
            a6 = scale.fma(dot(q, wq, o + 24, 4), a6);
            a7 = scale.fma(dot(q, wq, o + 28, 4), a7);
        }
        return a0.add(a4).add(a2.add(a6)).add(a1.add(a5).add(a3.add(a7)));
    }

    private static FloatVector tinyBlasLane(GgmlQuantDot.RowCodes w, float[] q, float[] d, int lane) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < w.d().length; b++) acc = at(d, b).mul(w.d()[b]).fma(dot(q, w.q(), 32 * b + 4 * lane, 4), acc);
        return acc;
    }

    /** Q4_1/Q5_1: Σ_b fma(min_b, s_b, ·), Q8_1's F16 block sums times the weights' block minimums. */
    private static FloatVector minTerms(GgmlQuantDot.RowCodes w, float[] s) {
        FloatVector sum = FloatVector.zero(F);
        for (int b = 0; b < w.d().length; b++) sum = at(s, b).fma(FloatVector.broadcast(F, w.dmin()[b]), sum);
        return sum;
    }

    private static FloatVector repacked(GgmlQuantDot.RowCodes w, float[] q, float[] d) {
        FloatVector sum = FloatVector.zero(F);
        for (int b = 0; b < w.d().length; b++) sum = dot(q, w.q(), 32 * b, 32).fma(at(d, b).mul(w.d()[b]), sum);
        return sum;
    }

    private static FloatVector q4kGemm(GgmlQuantDot.RowCodes w, float[] q, float[] d, float[] bs) {
        FloatVector sum = FloatVector.zero(F), mins = sum;
        for (int b = 0; b < w.d().length; b++) {
            FloatVector dx = at(d, b), scale = dx.mul(w.d()[b]), minScale = dx.mul(w.dmin()[b]);
            for (int sb = 0; sb < 4; sb++) {
                int c0 = 8 * b + 2 * sb, c1 = c0 + 1, g = 16 * b + 4 * sb;
                FloatVector is = dot(q, w.q(), 32 * c0, 32).mul(w.sc()[c0]).add(dot(q, w.q(), 32 * c1, 32).mul(w.sc()[c1]));
                FloatVector ms = at(bs, g).add(at(bs, g + 1)).mul(w.mn()[c0]).add(at(bs, g + 2).add(at(bs, g + 3)).mul(w.mn()[c1]));
                sum = is.fma(scale, sum);
                mins = ms.fma(minScale, mins);
            }
        }
        return sum.sub(mins);
    }

    private static FloatVector q2kGemm(GgmlQuantDot.RowCodes w, float[] q, float[] d, float[] bs) {
        FloatVector sum = FloatVector.zero(F), mins = sum;
        for (int b = 0; b < w.d().length; b++) {
            FloatVector dx = at(d, b), scale = dx.mul(w.d()[b]), minScale = dx.mul(w.dmin()[b]);
            for (int j0 = 16 * b; j0 < 16 * b + 16; j0 += 8) {
                FloatVector is = FloatVector.zero(F), ms = is;
                for (int j = j0; j < j0 + 8; j++) {
                    is = dot(q, w.q(), 16 * j, 16).fma(FloatVector.broadcast(F, w.sc()[j]), is);
                    ms = at(bs, j).fma(FloatVector.broadcast(F, w.mn()[j]), ms);
                }
                sum = is.fma(scale, sum);
                mins = ms.fma(minScale, mins);
            }
        }
        return sum.sub(mins);
    }

    private static FloatVector q5kLane(GgmlQuantDot.RowCodes w, float[] q, float[] d, int lane) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < w.d().length; b++) {
            FloatVector li = FloatVector.zero(F);
            for (int c = 0; c < 8; c++) li = dot(q, w.q(), 256 * b + 32 * c + 4 * lane, 4).fma(FloatVector.broadcast(F, w.sc()[8 * b + c]), li);
            acc = at(d, b).mul(w.d()[b]).fma(li, acc);
        }
        return acc;
    }

    private static FloatVector q5kMins(GgmlQuantDot.RowCodes w, float[] d, float[] bs) {
        FloatVector mins = FloatVector.zero(F);
        for (int b = 0; b < w.d().length; b++) {
            FloatVector m = FloatVector.zero(F);
            for (int j = 0; j < 8; j++) m = at(bs, 16 * b + 2 * j).add(at(bs, 16 * b + 2 * j + 1)).fma(FloatVector.broadcast(F, w.mn()[8 * b + j]), m);
            mins = at(d, b).neg().mul(w.dmin()[b]).fma(m, mins);
        }
        return mins;
    }

    /** ggml_vec_dot_q4_K_q8_K's four float lanes of min terms (runs 2p and 2p + 1 in lane p), halved. */
    private static FloatVector q4kMins(GgmlQuantDot.RowCodes w, float[] d, float[] bs) {
        FloatVector m0 = FloatVector.zero(F), m1 = m0, m2 = m0, m3 = m0;
        for (int b = 0; b < w.d().length; b++) {
            FloatVector scale = at(d, b).neg().mul(w.dmin()[b]);
            m0 = scale.fma(minPair(w, bs, b, 0), m0);
            m1 = scale.fma(minPair(w, bs, b, 1), m1);
            m2 = scale.fma(minPair(w, bs, b, 2), m2);
            m3 = scale.fma(minPair(w, bs, b, 3), m3);
        }
        return m0.add(m2).add(m1.add(m3));
    }

    private static FloatVector minPair(GgmlQuantDot.RowCodes w, float[] bs, int b, int p) {
        int g = 16 * b + 4 * p, c = 8 * b + 2 * p;
        return at(bs, g).add(at(bs, g + 1)).mul(w.mn()[c]).add(at(bs, g + 2).add(at(bs, g + 3)).mul(w.mn()[c + 1]));
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

    private static FloatVector q3kLane(GgmlQuantDot.RowCodes w, float[] q, float[] d, int lane) {
        FloatVector acc = FloatVector.zero(F);
        int half = lane >= 4 ? 1 : 0;
        for (int b = 0; b < w.d().length; b++) {
            FloatVector sum = FloatVector.zero(F);
            for (int c = 0; c < 8; c++) sum = dot(q, w.q(), 256 * b + 32 * c + 4 * lane, 4).fma(FloatVector.broadcast(F, w.sc()[16 * b + 2 * c + half]), sum);
            acc = at(d, b).mul(w.d()[b]).fma(sum, acc);
        }
        return acc;
    }

    private static FloatVector q6kLane(GgmlQuantDot.RowCodes w, float[] q, float[] d, float[] bs, int lane) {
        FloatVector acc = FloatVector.zero(F);
        int half = lane >= 4 ? 1 : 0;
        for (int b = 0; b < w.d().length; b++) {
            // Each half of the eight runs stays below 2^24; their sum need not, so it is added as ints.
            FloatVector h0 = FloatVector.zero(F), h1 = h0;
            for (int c = 0; c < 4; c++) h0 = dot(q, w.q(), 256 * b + 32 * c + 4 * lane, 4).fma(FloatVector.broadcast(F, w.sc()[16 * b + 2 * c + half]), h0);
            for (int c = 4; c < 8; c++) h1 = dot(q, w.q(), 256 * b + 32 * c + 4 * lane, 4).fma(FloatVector.broadcast(F, w.sc()[16 * b + 2 * c + half]), h1);
            int g = 16 * b + 2 * lane;
            FloatVector sub = at(bs, g).mul(w.sc()[g]).add(at(bs, g + 1).mul(w.sc()[g + 1]));
            IntVector total = ints(h0).add(ints(h1)).sub(ints(sub).lanewise(VectorOperators.LSHL, 5));
            acc = at(d, b).mul(w.d()[b]).fma((FloatVector) total.convert(VectorOperators.I2F, 0), acc);
        }
        return acc;
    }

    private static IntVector ints(FloatVector v) {
        return (IntVector) v.convert(VectorOperators.F2I, 0);
    }
}
