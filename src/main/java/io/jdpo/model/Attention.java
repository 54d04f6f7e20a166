package io.jdpo.model;

import io.jdpo.tensor.Gemm;
import io.jdpo.tensor.Parallel;

/**
 * Causal multi-head attention with grouped KV heads over a whole sequence (no KV cache),
 * as dense products: per head, scores = Q·Kᵀ and output = P·V, computed in blocks of
 * queries that only touch the keys they may see.
 */
final class Attention {
    /** Queries per block: the keys a block sees end at its last query. */
    private static final int BLOCK = 64;

    private Attention() {
    }

    /** out[t][h] = Σ_{s≤t} softmax_s(scale · q[t][h]·k[s][g]) v[s][g], g the KV head of query head h. */
    static void causal(float[] q, float[] k, float[] v, float[] out, int T, ModelConfig cfg, Parallel par) {
        int heads = cfg.heads(), hd = cfg.headDim(), group = heads / cfg.kvHeads();
        int qd = cfg.qDim(), kvd = cfg.kvDim();
        float scale = cfg.attentionScale();
        par.forRange(heads, 1, (h0, h1) -> {
            float[] p = new float[BLOCK * T];
            float[] vt = new float[hd * T];
            float[] o = new float[BLOCK * hd];
            for (int h = h0; h < h1; h++) {
                int g = h / group;
                for (int s = 0; s < T; s++) {
                    for (int i = 0; i < hd; i++) vt[i * T + s] = v[s * kvd + g * hd + i];
                }
                for (int t0 = 0; t0 < T; t0 += BLOCK) {
                    int n = Math.min(BLOCK, T - t0), keys = t0 + n;
                    // Scores of this block's queries against keys [0, keys): rows of q and k are strided by their widths.
                    Gemm.rowDots(q, t0 * qd + h * hd, qd, n, k, g * hd, kvd, keys, hd, p, 0, keys);
                    for (int r = 0; r < n; r++) softmaxCausal(p, r * keys, t0 + r + 1, keys, scale);
                    Gemm.rowDots(p, 0, keys, n, vt, 0, T, hd, keys, o, 0, hd);
                    for (int r = 0; r < n; r++) System.arraycopy(o, r * hd, out, (t0 + r) * qd + h * hd, hd);
                }
            }
        });
    }

    /**
     * The backward of {@link #causal}: given dOut, sets dq and accumulates dk and dv. Per head,
     * P is recomputed from Q and K (T × T, never stored across the pass); then
     * dV += Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP))·scale, dQ = dS·K, dK += dSᵀ·Q.
     * Threads own KV heads, so the heads of a group add into their shared dK/dV in a fixed
     * order.
     */
    static void causalBackward(float[] q, float[] k, float[] v, float[] dOut, float[] dq, float[] dk, float[] dv,
                               int T, ModelConfig cfg, Parallel par) {
        int hd = cfg.headDim(), group = cfg.heads() / cfg.kvHeads();
        int qd = cfg.qDim(), kvd = cfg.kvDim();
        float scale = cfg.attentionScale();
        par.forRange(cfg.kvHeads(), 1, (g0, g1) -> {
            float[] p = new float[T * T], ds = new float[T * T], tr = new float[T * T];
            float[] colsT = new float[hd * T], tmp = new float[T * hd];
            for (int g = g0; g < g1; g++) {
                for (int h = g * group; h < (g + 1) * group; h++) {
                    Gemm.rowDots(q, h * hd, qd, T, k, g * hd, kvd, T, hd, p, 0, T);
                    for (int r = 0; r < T; r++) softmaxCausal(p, r * T, r + 1, T, scale);
                    Gemm.rowDots(dOut, h * hd, qd, T, v, g * hd, kvd, T, hd, ds, 0, T);
                    for (int t = 0; t < T; t++) {
                        double dot = 0;
                        for (int s = 0; s <= t; s++) dot += (double) p[t * T + s] * ds[t * T + s];
                        float fd = (float) dot;
                        for (int s = 0; s <= t; s++) ds[t * T + s] = p[t * T + s] * (ds[t * T + s] - fd) * scale;
                        for (int s = t + 1; s < T; s++) ds[t * T + s] = 0;
                    }
                    transpose(k, g * hd, kvd, T, hd, colsT);
                    Gemm.rowDots(ds, 0, T, T, colsT, 0, T, hd, T, dq, h * hd, qd);
                    transpose(ds, 0, T, T, T, tr);
                    transpose(q, h * hd, qd, T, hd, colsT);
                    Gemm.rowDots(tr, 0, T, T, colsT, 0, T, hd, T, tmp, 0, hd);
                    addRows(tmp, T, hd, dk, g * hd, kvd);
                    transpose(p, 0, T, T, T, tr);
                    transpose(dOut, h * hd, qd, T, hd, colsT);
                    Gemm.rowDots(tr, 0, T, T, colsT, 0, T, hd, T, tmp, 0, hd);
                    addRows(tmp, T, hd, dv, g * hd, kvd);
                }
            }
        });
    }

    /** out (cols × rows) = the rows × cols block of src starting at off with row stride ld, transposed. */
    private static void transpose(float[] src, int off, int ld, int rows, int cols, float[] out) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) out[c * rows + r] = src[off + r * ld + c];
        }
    }

    private static void addRows(float[] src, int rows, int cols, float[] dst, int off, int ld) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) dst[off + r * ld + c] += src[r * cols + c];
        }
    }

    /** Softmax of scale·p[off..off+visible), zeros for the masked rest up to width. */
    private static void softmaxCausal(float[] p, int off, int visible, int width, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int s = 0; s < visible; s++) {
            p[off + s] *= scale;
            max = Math.max(max, p[off + s]);
        }
        double sum = 0;
        for (int s = 0; s < visible; s++) {
            p[off + s] = (float) Math.exp(p[off + s] - max);
            sum += p[off + s];
        }
        float inv = (float) (1 / sum);
        for (int s = 0; s < visible; s++) p[off + s] *= inv;
        for (int s = visible; s < width; s++) p[off + s] = 0;
    }
}
