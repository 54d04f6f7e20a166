package io.jdpo.tensor;

/** Reductions over float arrays that the model's elementwise steps share. */
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
}
