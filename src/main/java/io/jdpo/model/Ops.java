package io.jdpo.model;

/** Elementwise steps of the forward, written as llama.cpp computes them (sums in double). */
public final class Ops {
    private Ops() {
    }

    /** out = x / sqrt(mean(x²) + eps) * w over n values. */
    public static void rmsNorm(float[] x, int xo, float[] w, float[] out, int oo, int n, float eps) {
        // ggml's order exactly: float squares summed in double, then mean and scale in float.
        double ss = 0;
        for (int i = 0; i < n; i++) ss += x[xo + i] * x[xo + i];
        float mean = (float) (ss / n);
        float scale = 1.0f / (float) Math.sqrt(mean + eps);
        for (int i = 0; i < n; i++) out[oo + i] = x[xo + i] * scale * w[i];
    }

    static void addBias(float[] x, float[] b, int rows) {
        int n = b.length;
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < n; i++) x[r * n + i] += b[i];
        }
    }

    static float silu(float x) {
        return x / (1f + (float) Math.exp(-x));
    }

    /**
     * Backward of {@link #rmsNorm} with a frozen weight: with s = 1/√(mean(x²) + eps) and
     * y = x·s·w, dx += s·w·dy − x·s³/n·Σ x·w·dy (accumulated into dx).
     */
    static void rmsNormBackward(float[] x, int xo, float[] w, float[] dy, int yo, float[] dx, int dxo, int n, float eps) {
        rmsNormBackward(x, xo, w, dy, yo, dx, dxo, n, eps, null);
    }

    /** As above, also adding the weight's gradient dw[i] += dy[i]·x[i]·s when dw is not null. */
    public static void rmsNormBackward(float[] x, int xo, float[] w, float[] dy, int yo, float[] dx, int dxo, int n, float eps, float[] dw) {
        double ss = 0, dot = 0;
        for (int i = 0; i < n; i++) {
            ss += (double) x[xo + i] * x[xo + i];
            dot += (double) x[xo + i] * w[i] * dy[yo + i];
        }
        double s = 1.0 / Math.sqrt(ss / n + eps);
        float a = (float) s, b = (float) (s * s * s * dot / n);
        for (int i = 0; i < n; i++) dx[dxo + i] += a * w[i] * dy[yo + i] - b * x[xo + i];
        if (dw != null) {
            for (int i = 0; i < n; i++) dw[i] += dy[yo + i] * x[xo + i] * a;
        }
    }

}
