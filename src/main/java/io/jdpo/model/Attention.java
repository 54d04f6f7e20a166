package io.jdpo.model;

import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.VectorMath;

/** Causal multi-head attention with grouped KV heads over a whole sequence (no KV cache). */
final class Attention {
    private Attention() {
    }

    /** out[t][h] = Σ_{s≤t} softmax_s(scale · q[t][h]·k[s][g]) v[s][g], g the KV head of query head h. */
    static void causal(float[] q, float[] k, float[] v, float[] out, int T, ModelConfig cfg, Parallel par) {
        int heads = cfg.heads(), hd = cfg.headDim(), group = heads / cfg.kvHeads();
        int qd = cfg.qDim(), kvd = cfg.kvDim();
        float scale = cfg.attentionScale();
        par.forRange(heads, 1, (h0, h1) -> {
            float[] p = new float[T];
            for (int h = h0; h < h1; h++) {
                int g = h / group;
                for (int t = 0; t < T; t++) {
                    int qo = t * qd + h * hd;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int s = 0; s <= t; s++) {
                        int ko = s * kvd + g * hd;
                        p[s] = VectorMath.dot(q, qo, k, ko, hd) * scale;
                        max = Math.max(max, p[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= t; s++) {
                        p[s] = (float) Math.exp(p[s] - max);
                        sum += p[s];
                    }
                    float inv = (float) (1 / sum);
                    int oo = t * qd + h * hd;
                    for (int i = 0; i < hd; i++) out[oo + i] = 0;
                    for (int s = 0; s <= t; s++) {
                        VectorMath.axpy(p[s] * inv, v, s * kvd + g * hd, out, oo, hd);
                    }
                }
            }
        });
    }
}
