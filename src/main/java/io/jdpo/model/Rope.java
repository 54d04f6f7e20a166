package io.jdpo.model;

/**
 * Rotary position embedding on the first {@code ropeDim} values of each head, as ggml_rope_ext
 * does it: angle = pos · freqScale · base^(-2i/ropeDim) / factor[i]; adjacent pairs for Llama,
 * halves (NEOX) for Qwen.
 */
final class Rope {
    private Rope() {
    }

    /** Rotates x (T rows of heads × headDim) in place, row t at position t. */
    static void apply(float[] x, int T, int heads, ModelConfig cfg, float[] factors) {
        int hd = cfg.headDim(), nd = cfg.ropeDim();
        double[] inv = new double[nd / 2];
        for (int i = 0; i < nd / 2; i++) {
            inv[i] = cfg.ropeFreqScale() * Math.pow(cfg.ropeBase(), -2.0 * i / nd) / (factors == null ? 1 : factors[i]);
        }
        for (int t = 0; t < T; t++) {
            for (int h = 0; h < heads; h++) {
                int base = (t * heads + h) * hd;
                for (int i = 0; i < nd / 2; i++) {
                    double theta = t * inv[i];
                    float c = (float) Math.cos(theta), s = (float) Math.sin(theta);
                    int a = cfg.arch().neoxRope ? base + i : base + 2 * i;
                    int b = cfg.arch().neoxRope ? base + i + nd / 2 : base + 2 * i + 1;
                    float x0 = x[a], x1 = x[b];
                    x[a] = x0 * c - x1 * s;
                    x[b] = x0 * s + x1 * c;
                }
            }
        }
    }
}
