package io.jdpo.model;

import io.jdpo.tensor.CMath;

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

    /**
     * The tables a model's layers use: one for all, or (Gemma 2 and 3) one for the global
     * layers and one for the sliding-window layers, which have their own base and scale.
     */
    record Tables(Table global, Table local) {
        Table forLayer(ModelConfig cfg, int l) {
            return local != null && cfg.features().slides(l) ? local : global;
        }
    }

    /** The tables of a model over the given positions. */
    static Tables tables(int[] positions, ModelConfig cfg, float[] factors) {
        ArchFeatures f = cfg.features();
        Table global = table(positions, cfg, factors, cfg.ropeBase(), cfg.ropeFreqScale());
        Table local = f.swaLayers() == null ? null : table(positions, cfg, null, f.ropeBaseSwa(), f.ropeScaleSwa());
        return new Tables(global, local);
    }

    /** Row t of the table holds the angles of position positions[t]. */
    static Table table(int[] positions, ModelConfig cfg, float[] factors) {
        return table(positions, cfg, factors, cfg.ropeBase(), cfg.ropeFreqScale());
    }

    /**
     * As {@link #table(int[], ModelConfig, float[])} with an explicit base and scale; cos and
     * sin are multiplied by the model's rope attention factor (ggml's mscale: 1 but for
     * Phi-3's long-context models), which makes the backward's transposed rotation scale too.
     */
    static Table table(int[] positions, ModelConfig cfg, float[] factors, float base, float freqScale) {
        int half = cfg.ropeDim() / 2, T = positions.length;
        float mscale = cfg.features().ropeAttnFactor();
        float[] cos = new float[T * half], sin = new float[T * half];
        // ggml_rope_cache_init's float arithmetic step for step (the angle of pair i is reached
        // by i float multiplications), so both engines rotate by the same float angles.
        float thetaScale = (float) Math.pow(base, -2.0f / cfg.ropeDim());
        for (int t = 0; t < T; t++) {
            float theta = positions[t];
            for (int i = 0; i < half; i++) {
                float angle = freqScale * (factors == null ? theta : theta / factors[i]);
                // libm's cosf/sinf, as ggml calls them: Java's differ in the last bit now and then.
                cos[t * half + i] = CMath.cos(angle) * mscale;
                sin[t * half + i] = CMath.sin(angle) * mscale;
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
                    // GCC contracts ggml's x0*cos - x1*sin into one fused multiply-add on the first product.
                    x[a] = Math.fma(x0, c, -(x1 * s));
                    x[b] = Math.fma(x0, s, x1 * c);
                }
            }
        }
    }
}
