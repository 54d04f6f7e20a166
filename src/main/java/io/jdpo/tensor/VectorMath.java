package io.jdpo.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Reductions and elementwise steps over float arrays that the model shares. */
public final class VectorMath {
    private VectorMath() {
    }

    /**
     * log Σ exp(z[o..o+n)), max-shifted and summed in double: the normaliser of a log-softmax.
     *
     * @param z the logits
     * @param o index in {@code z} of the first
     * @param n how many, ≥ 1
     * @return the log of the sum of their exponentials; NaN if any value is NaN or +∞
     */
    public static double logSumExp(float[] z, int o, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, z[o + i]);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(z[o + i] - max);
        return max + Math.log(s);
    }

    /**
     * A row-major matrix transposed (the backward's products want the activations' columns
     * as rows).
     *
     * @param m    rows × cols, row-major
     * @param rows rows of {@code m}
     * @param cols columns of {@code m}
     * @return a new cols × rows row-major array
     */
    public static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
        }
        return t;
    }

    /**
     * y[yo + i] += s · x[xo + i] for i &lt; n, the product rounded before the sum (no fused
     * multiply-add: llama.cpp scales a LoRA product, then adds it), the same bits on the vector
     * and the scalar path.
     *
     * @param y  added to
     * @param yo index in {@code y} of the first value
     * @param s  the scale
     * @param x  the values scaled
     * @param xo index in {@code x} of the first value
     * @param n  how many
     */
    public static void addScaled(float[] y, int yo, float s, float[] x, int xo, int n) {
        int i = 0;
        if (Simd.VECTOR) {
            for (int L = Simd.F.length(); i + L <= n; i += L) {
                FloatVector.fromArray(Simd.F, x, xo + i).mul(s).add(FloatVector.fromArray(Simd.F, y, yo + i)).intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) y[yo + i] += s * x[xo + i];
    }

    /**
     * The backward of SwiGLU's act = silu(g)·u over [from, to): du = dAct·silu(g), and dAct
     * becomes dAct·u·silu'(g), one exponential for both (silu(g) = g·σ(g), silu'(g) =
     * σ(g)·(1 + g·(1 − σ(g)))). The exponential is ggml's expf, the forward's own: made of exact
     * float steps, it gives the same bits on vectors ({@link GgmlOrder#expfLanes}) as one value
     * at a time, compiled or not (the Vector API's EXP does not: interpreted, it is Math.exp's,
     * so a run's bits would depend on what the JIT had compiled yet). The whole step was 1% of
     * a DPO step one value at a time.
     *
     * @param g    the gate's outputs
     * @param u    the up projection's outputs
     * @param dAct on entry the gradient of act, on return that of g
     * @param du   receives the gradient of u
     * @param from the first index
     * @param to   one past the last
     */
    public static void siluGateBackward(float[] g, float[] u, float[] dAct, float[] du, int from, int to) {
        int i = from;
        if (GgmlOrder.lanesFit()) {
            VectorSpecies<Float> s = GgmlOrder.species();
            FloatVector one = FloatVector.broadcast(s, 1f), zero = FloatVector.zero(s);
            for (int L = s.length(); i + L <= to; i += L) {
                FloatVector x = FloatVector.fromArray(s, g, i), d = FloatVector.fromArray(s, dAct, i);
                FloatVector sig = one.div(one.add(GgmlOrder.expfLanes(zero.sub(x))));
                d.mul(x.mul(sig)).intoArray(du, i);
                d.mul(FloatVector.fromArray(s, u, i).mul(sig.mul(one.add(x.mul(one.sub(sig)))))).intoArray(dAct, i);
            }
        }
        siluGateBackwardScalar(g, u, dAct, du, i, to);
    }

    /**
     * The reference of {@link #siluGateBackward}: the same steps one value at a time.
     *
     * @param g    the gate's outputs
     * @param u    the up projection's outputs
     * @param dAct on entry the gradient of act, on return that of g
     * @param du   receives the gradient of u
     * @param from the first index
     * @param to   one past the last
     */
    public static void siluGateBackwardScalar(float[] g, float[] u, float[] dAct, float[] du, int from, int to) {
        for (int i = from; i < to; i++) {
            float x = g[i], sig = 1f / (1f + GgmlOrder.expf(0f - x));
            du[i] = dAct[i] * (x * sig);
            dAct[i] *= u[i] * (sig * (1f + x * (1f - sig)));
        }
    }
}
