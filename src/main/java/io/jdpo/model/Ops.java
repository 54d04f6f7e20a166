package io.jdpo.model;

import io.jdpo.tensor.CMath;
import io.jdpo.tensor.GgmlOrder;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Elementwise steps of the forward, written as llama.cpp computes them (sums in double). */
public final class Ops {
    private Ops() {
    }

    /**
     * out = x / sqrt(mean(x²) + eps) * w over n values.
     *
     * @param x   the input
     * @param xo  index in {@code x} of the first value
     * @param w   the norm weight, n values from index 0
     * @param out receives n values; may be {@code x} itself
     * @param oo  index in {@code out} of the first
     * @param n   the number of values
     * @param eps added to the mean square
     */
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
     * out = silu(g)·u over one row of n values as ggml's {@code ggml_vec_swiglu_f32} computes
     * it: whole vectors with {@code ggml_v_silu} (x / (1 + ggml_v_expf(0 − x))), the last
     * n mod lanes values with libm's {@code expf}. Runs on vectors of ggml's own width where this
     * JVM has them natively ({@link GgmlOrder#expfLanes}: the same float steps, so the same bits
     * as {@link #swigluInGgmlOrderScalar}); one value at a time, the SwiGLU of every layer's FFN
     * was 2% of a DPO step.
     */
    static void swigluInGgmlOrder(float[] g, float[] u, float[] out, int off, int n) {
        int vec = n - n % GgmlOrder.LANES, i = off;
        if (GgmlOrder.lanesFit()) {
            VectorSpecies<Float> s = GgmlOrder.species();
            FloatVector one = FloatVector.broadcast(s, 1f), zero = FloatVector.zero(s);
            for (; i < off + vec; i += s.length()) {
                FloatVector x = FloatVector.fromArray(s, g, i);
                x.div(one.add(GgmlOrder.expfLanes(zero.sub(x)))).mul(FloatVector.fromArray(s, u, i)).intoArray(out, i);
            }
        }
        swigluTail(g, u, out, i, off + vec, off + n);
    }

    /**
     * The reference of {@link #swigluInGgmlOrder}: ggml's vector steps one value at a time.
     *
     * @param g   the gate's outputs
     * @param u   the up projection's outputs
     * @param out receives silu(g)·u
     * @param off index of the row's first value in all three
     * @param n   the row's length
     */
    static void swigluInGgmlOrderScalar(float[] g, float[] u, float[] out, int off, int n) {
        swigluTail(g, u, out, off, off + n - n % GgmlOrder.LANES, off + n);
    }

    /** Values [from, vecEnd) as ggml's vector steps take them, [vecEnd, end) as its scalar tail. */
    private static void swigluTail(float[] g, float[] u, float[] out, int from, int vecEnd, int end) {
        for (int i = from; i < vecEnd; i++) out[i] = g[i] / (1f + GgmlOrder.expf(0f - g[i])) * u[i];
        for (int i = Math.max(from, vecEnd); i < end; i++) out[i] = g[i] / (1f + CMath.exp(-g[i])) * u[i];
    }

    /**
     * Backward of {@link #rmsNorm} with a frozen weight: with s = 1/√(mean(x²) + eps) and
     * y = x·s·w, dx += s·w·dy − x·s³/n·Σ x·w·dy (accumulated into dx).
     */
    static void rmsNormBackward(float[] x, int xo, float[] w, float[] dy, int yo, float[] dx, int dxo, int n, float eps) {
        rmsNormBackward(x, xo, w, dy, yo, dx, dxo, n, eps, null);
    }

    /**
     * Backward of {@link #rmsNorm} with s = 1/√(mean(x²) + eps): dx += s·w·dy − x·s³/n·Σ x·w·dy,
     * and the weight's gradient dw[i] += dy[i]·x[i]·s when dw is not null.
     *
     * @param x   the forward's input
     * @param xo  index in {@code x} of the first value
     * @param w   the norm weight, n values from index 0
     * @param dy  the gradient of the norm's output
     * @param yo  index in {@code dy} of the first value
     * @param dx  the input's gradient, added to
     * @param dxo index in {@code dx} of the first value
     * @param n   the number of values
     * @param eps the forward's ε
     * @param dw  the weight's gradient, n values added to; null to skip it
     */
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
