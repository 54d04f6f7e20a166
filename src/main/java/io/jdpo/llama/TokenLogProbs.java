package io.jdpo.llama;

/** Log-probabilities (natural log) of each completion token given everything before it, and their sum. */
public record TokenLogProbs(float[] logProbs, double sum) {
    public static TokenLogProbs of(float[] logProbs) {
        double s = 0;
        for (float v : logProbs) s += v;
        return new TokenLogProbs(logProbs, s);
    }

    public int length() {
        return logProbs.length;
    }

    /** Mean log-prob per token; 0 for an empty completion. */
    public double mean() {
        return logProbs.length == 0 ? 0 : sum / logProbs.length;
    }
}
