package io.jdpo.model;

import io.jdpo.tensor.PackedGemm;
import io.jdpo.tensor.Parallel;

/**
 * Causal multi-head attention with grouped KV heads over a whole sequence (no KV cache),
 * as dense products: per head, scores = Q·Kᵀ and output = P·V, computed in blocks of
 * queries that only touch the keys they may see (the packed kernels of {@link PackedGemm}).
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
            for (int h = h0; h < h1; h++) {
                int g = h / group;
                for (int t0 = 0; t0 < T; t0 += BLOCK) {
                    int n = Math.min(BLOCK, T - t0), keys = t0 + n;
                    // Scores of this block's queries against keys [0, keys): rows of q and k are strided by their widths.
                    PackedGemm.abT(q, t0 * qd + h * hd, qd, n, k, g * hd, kvd, hd, keys, p, 0, keys, false);
                    for (int r = 0; r < n; r++) softmaxCausal(p, r * keys, t0 + r + 1, keys, scale);
                    PackedGemm.ab(p, 0, keys, n, v, g * hd, kvd, keys, hd, out, t0 * qd + h * hd, qd, false);
                }
            }
        });
    }

    /**
     * The backward of {@link #causal}: given dOut, sets dq and accumulates dk and dv. Per head
     * and block of queries, P is recomputed from Q and K over the keys the block sees (never
     * stored across the pass); then dV += Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP))·scale,
     * dQ = dS·K, dK += dSᵀ·Q. Threads own KV heads, so the heads of a group add into their
     * shared dK/dV in a fixed order.
     */
    static void causalBackward(float[] q, float[] k, float[] v, float[] dOut, float[] dq, float[] dk, float[] dv,
                               int T, ModelConfig cfg, Parallel par) {
        int hd = cfg.headDim(), group = cfg.heads() / cfg.kvHeads();
        int qd = cfg.qDim(), kvd = cfg.kvDim();
        float scale = cfg.attentionScale();
        par.forRange(cfg.kvHeads(), 1, (g0, g1) -> {
            float[] p = new float[BLOCK * T], ds = new float[BLOCK * T], tr = new float[BLOCK * T];
            for (int g = g0; g < g1; g++) {
                for (int h = g * group; h < (g + 1) * group; h++) {
                    for (int t0 = 0; t0 < T; t0 += BLOCK) {
                        int n = Math.min(BLOCK, T - t0), keys = t0 + n, qo = t0 * qd + h * hd;
                        PackedGemm.abT(q, qo, qd, n, k, g * hd, kvd, hd, keys, p, 0, keys, false);
                        for (int r = 0; r < n; r++) softmaxCausal(p, r * keys, t0 + r + 1, keys, scale);
                        PackedGemm.abT(dOut, qo, qd, n, v, g * hd, kvd, hd, keys, ds, 0, keys, false);
                        for (int r = 0; r < n; r++) {
                            int o = r * keys, visible = t0 + r + 1;
                            double dot = 0;
                            for (int s = 0; s < visible; s++) dot += (double) p[o + s] * ds[o + s];
                            float fd = (float) dot;
                            for (int s = 0; s < visible; s++) ds[o + s] = p[o + s] * (ds[o + s] - fd) * scale;
                            for (int s = visible; s < keys; s++) ds[o + s] = 0;
                        }
                        PackedGemm.ab(ds, 0, keys, n, k, g * hd, kvd, keys, hd, dq, qo, qd, false);
                        transpose(ds, n, keys, tr);
                        PackedGemm.ab(tr, 0, n, keys, q, qo, qd, n, hd, dk, g * hd, kvd, true);
                        transpose(p, n, keys, tr);
                        PackedGemm.ab(tr, 0, n, keys, dOut, qo, qd, n, hd, dv, g * hd, kvd, true);
                    }
                }
            }
        });
    }

    /** out (cols × rows) = m (rows × cols) transposed. */
    private static void transpose(float[] m, int rows, int cols, float[] out) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
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
