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
