package io.jdpo.model;

/**
 * Gemma's logit soft-capping, z → cap·tanh(z/cap), in ggml's float steps (scale by 1/cap,
 * libm's tanhf, scale by cap), and its slope for the backward.
 */
final class SoftCap {
    private SoftCap() {
    }

    /** Caps z[off..off+n) in place. */
    static void apply(float[] z, int off, int n, float cap) {
        float inv = 1.0f / cap;
        for (int i = off; i < off + n; i++) z[i] = io.jdpo.tensor.CMath.tanh(z[i] * inv) * cap;
    }

    /** d capped / d z, from the capped value c: 1 − (c/cap)². */
    static float slope(float capped, float cap) {
        float th = capped / cap;
        return 1f - th * th;
    }
}
