package io.jdpo.model;

/**
 * Phi-3's fused products: one matrix whose output rows are several projections side by side
 * (attn_qkv: Q, K, V; ffn_up: gate, up), as ggml views them. The forward splits each token's
 * row into the parts; the backward joins the parts' gradients into one row again.
 */
final class Fused {
    private Fused() {
    }

    /** Splits T rows of {@code fused} into the parts, part i taking the next widths[i] values of each row. */
    static void split(float[] fused, int T, float[][] parts, int[] widths) {
        int row = java.util.Arrays.stream(widths).sum();
        for (int t = 0; t < T; t++) {
            int off = t * row;
            for (int i = 0; i < parts.length; i++) {
                System.arraycopy(fused, off, parts[i], t * widths[i], widths[i]);
                off += widths[i];
            }
        }
    }

    /** The inverse of {@link #split}: T rows of the parts laid side by side in a new array. */
    static float[] join(int T, float[][] parts, int[] widths) {
        int row = java.util.Arrays.stream(widths).sum();
        float[] fused = new float[T * row];
        for (int t = 0; t < T; t++) {
            int off = t * row;
            for (int i = 0; i < parts.length; i++) {
                System.arraycopy(parts[i], t * widths[i], fused, off, widths[i]);
                off += widths[i];
            }
        }
        return fused;
    }
}
