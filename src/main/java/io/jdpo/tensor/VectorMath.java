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
}
