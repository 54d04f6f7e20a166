package io.jdpo.model;

/**
 * Rotary position embedding on the first {@code ropeDim} values of each head, as ggml_rope_ext
 * does it: angle = pos · freqScale · base^(-2i/ropeDim) / factor[i]; adjacent pairs for Llama,
 * halves (NEOX) for Qwen.
 */
final class Rope {
    private Rope() {
    }

    /** cos and sin of every (position, pair) angle: [T][ropeDim/2] each, shared by all heads and layers. */
    record Table(float[] cos, float[] sin) {
    }

    /** Row t of the table holds the angles of position positions[t]. */
    static Table table(int[] positions, ModelConfig cfg, float[] factors) {
        int half = cfg.ropeDim() / 2, T = positions.length;
        float[] cos = new float[T * half], sin = new float[T * half];
        // ggml_rope_cache_init's float arithmetic step for step (the angle of pair i is reached
        // by i float multiplications), so both engines rotate by the same float angles.
        float thetaScale = (float) Math.pow(cfg.ropeBase(), -2.0f / cfg.ropeDim());
        for (int t = 0; t < T; t++) {
            float theta = positions[t];
            for (int i = 0; i < half; i++) {
                float angle = cfg.ropeFreqScale() * (factors == null ? theta : theta / factors[i]);
                cos[t * half + i] = (float) Math.cos(angle);
                sin[t * half + i] = (float) Math.sin(angle);
                theta *= thetaScale;
            }
        }
        return new Table(cos, sin);
    }

    /** Rotates x (T rows of heads × headDim) in place, row t by the table's row t. */
    static void apply(float[] x, int T, int heads, ModelConfig cfg, Table table) {
        rotate(x, T, heads, cfg, table, 1);
    }

    /** The backward of {@link #apply}: a rotation's transpose is the rotation by the opposite angle. */
    static void applyInverse(float[] x, int T, int heads, ModelConfig cfg, Table table) {
        rotate(x, T, heads, cfg, table, -1);
    }

    private static void rotate(float[] x, int T, int heads, ModelConfig cfg, Table table, int sign) {
        int hd = cfg.headDim(), nd = cfg.ropeDim(), half = nd / 2;
        for (int t = 0; t < T; t++) {
            for (int h = 0; h < heads; h++) {
                int base = (t * heads + h) * hd;
                for (int i = 0; i < half; i++) {
                    float c = table.cos()[t * half + i], s = sign * table.sin()[t * half + i];
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
