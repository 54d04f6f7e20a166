package io.jdpo.train;

/**
 * The token-level part of the unlikelihood loss (Welleck et al. 2019, "Neural Text Generation
 * with Unlikelihood Training"): each token of a rejected completion costs −log(1 − p_t), p_t
 * the policy's probability of that token. The loss works on per-token log-probs, not on the
 * sums the rest of {@link DpoLoss} reads, so the trainer computes the sum here and applies the
 * per-token gradient here too.
 *
 * <p>As p_t → 1 the cost and its slope p_t/(1 − p_t) grow without bound; 1 − p_t is clamped
 * at {@link #MIN_COMPLEMENT} (the value Welleck et al.'s code clamps at), so a token the policy
 * is all but certain of costs log(1e5) ≈ 11.5 and, as the clamped function is flat there, adds
 * no gradient: one such token cannot blow up a step.
 */
public final class Unlikelihood {
    /** The smallest 1 − p_t the cost sees. */
    public static final double MIN_COMPLEMENT = 1e-5;

    private Unlikelihood() {
    }

    /**
     * U = −Σ_t log(max(1 − p_t, {@link #MIN_COMPLEMENT})) over {@code logProbs[from..to)}.
     *
     * @param logProbs per-token log-probs (nats, ≤ 0)
     * @param from first token, inclusive
     * @param to last token, exclusive
     * @return the sum, ≥ 0
     */
    public static double sum(float[] logProbs, int from, int to) {
        double u = 0;
        for (int i = from; i < to; i++) u -= Math.log(complement(logProbs[i]));
        return u;
    }

    /**
     * dU/d(log p_t) of one token: p_t/(1 − p_t), or 0 where 1 − p_t is clamped.
     *
     * @param logProb the token's log-prob (nats, ≤ 0)
     * @return the slope, ≥ 0
     */
    public static double slope(float logProb) {
        double q = -Math.expm1(Math.min(0.0, logProb));
        return q < MIN_COMPLEMENT ? 0 : Math.exp(logProb) / q;
    }

    /** 1 − p computed as −expm1(log p), exact near p = 1, clamped. */
    private static double complement(float logProb) {
        return Math.max(-Math.expm1(Math.min(0.0, logProb)), MIN_COMPLEMENT);
    }
}
