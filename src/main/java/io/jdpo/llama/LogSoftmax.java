package io.jdpo.llama;

/** log softmax(logits)[target], computed stably (max-shifted, accumulated in double). */
final class LogSoftmax {
    private LogSoftmax() {
    }

    /** log Σ exp(logits), the normaliser every target of this row shares. */
    static double logSumExp(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double sum = 0;
        for (float v : logits) sum += Math.exp(v - max);
        return max + Math.log(sum);
    }
}
