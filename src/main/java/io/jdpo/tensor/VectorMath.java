package io.jdpo.tensor;

import jdk.incubator.vector.FloatVector;

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
}
