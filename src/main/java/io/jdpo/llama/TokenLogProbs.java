package io.jdpo.llama;

/**
 * Log-probabilities (natural log) of each completion token given everything before it, and their sum.
 *
 * @param logProbs one value per completion token, each {@code <= 0}; not copied
 * @param sum their sum in double precision: the log-prob of the whole completion
 */
public record TokenLogProbs(float[] logProbs, double sum) {
    /**
     * {@return the record with their sum}
     *
     * @param logProbs per-token log-probs, kept (not copied)
     */
    public static TokenLogProbs of(float[] logProbs) {
        double s = 0;
        for (float v : logProbs) s += v;
        return new TokenLogProbs(logProbs, s);
    }

    /** {@return the number of completion tokens} */
    public int length() {
        return logProbs.length;
    }

    /** {@return the mean log-prob per token; 0 for an empty completion} */
    public double mean() {
        return logProbs.length == 0 ? 0 : sum / logProbs.length;
    }
}
