package io.jdpo.model;

/**
 * LoRA dropout: the adapter's input x is replaced by x ⊙ m / (1 − p), m a Bernoulli(1 − p)
 * mask. The mask is a hash of (seed, layer, target, position, column), not a stream of random
 * numbers, so the backward (and a recomputed forward) regenerate exactly the mask the
 * forward used without storing it, and a seed fixes a training run's masks. Rows are keyed
 * by their rope position, so a pair packed with its prompt once gets the masks of its two
 * sequences run apart.
 */
record Dropout(float p, long seed, int[] positions) {
    /** x ⊙ m / (1 − p) for the T × n input of one adapted projection. */
    float[] apply(float[] x, int T, int n, int layer, LoraTarget target) {
        float[] out = new float[T * n];
        float keep = 1 / (1 - p);
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < n; i++) {
                if (kept(layer, target, positions[t], i, n)) out[t * n + i] = x[t * n + i] * keep;
            }
        }
        return out;
    }

    /** g ⊙ m / (1 − p) in place: the gradient through the same mask. */
    void applyInPlace(float[] g, int T, int n, int layer, LoraTarget target) {
        float keep = 1 / (1 - p);
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < n; i++) g[t * n + i] = kept(layer, target, positions[t], i, n) ? g[t * n + i] * keep : 0f;
        }
    }

    private boolean kept(int layer, LoraTarget target, int pos, int i, int n) {
        long z = seed + 0x9E3779B97F4A7C15L * ((((long) layer * 8 + target.ordinal()) * 1_000_003L + pos) * n + i + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53 >= p;
    }
}
