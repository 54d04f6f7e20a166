package io.jdpo.verify;

/**
 * Preference metrics over pairs, as TRL reports them for evaluation: the implicit rewards
 * β·(log π − log π_ref) of chosen and rejected completions (log-probs summed over completion
 * tokens), the share of pairs whose chosen reward is the higher (accuracy), the mean margin,
 * and the policy's mean log-probs. One {@link Tally} serves every evaluator.
 */
public record PreferenceMetrics(int pairs, double accuracy, double margin, double rewardChosen, double rewardRejected,
                                double logpChosen, double logpRejected) {

    /** Accumulates pairs one at a time. */
    public static final class Tally {
        private final double beta;
        private int n;
        private double acc, margin, rc, rr, lc, lr;

        public Tally(double beta) {
            this.beta = beta;
        }

        /** One pair: the policy's and the reference's summed log-probs of chosen and rejected. */
        public void add(double policyChosen, double policyRejected, double refChosen, double refRejected) {
            double c = beta * (policyChosen - refChosen), r = beta * (policyRejected - refRejected);
            n++;
            acc += c > r ? 1 : 0;
            margin += c - r;
            rc += c;
            rr += r;
            lc += policyChosen;
            lr += policyRejected;
        }

        /** Means over the pairs added (NaN before the first). */
        public PreferenceMetrics result() {
            return new PreferenceMetrics(n, acc / n, margin / n, rc / n, rr / n, lc / n, lr / n);
        }
    }
}
