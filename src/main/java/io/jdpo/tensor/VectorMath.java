package io.jdpo.tensor;

/** Reductions over float arrays that the model's elementwise steps share. */
public final class VectorMath {
    private VectorMath() {
    }

    /** log Σ exp(z[o..o+n)), max-shifted and summed in double: the normaliser of a log-softmax. */
    public static double logSumExp(float[] z, int o, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, z[o + i]);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(z[o + i] - max);
        return max + Math.log(s);
    }
}
