package io.jdpo.verify;

/**
 * Preference metrics over pairs, as TRL reports them for evaluation: the implicit rewards
 * β·(log π − log π_ref) of chosen and rejected completions (log-probs summed over completion
 * tokens), the share of pairs whose chosen reward is the higher (accuracy), the mean margin,
 * and the policy's mean log-probs. One {@link Tally} serves every evaluator. All values are
 * means over the pairs, log-probs in nats.
 *
 * @param pairs how many pairs were scored
 * @param accuracy the share of pairs whose chosen reward beats the rejected one (ties count
 *        as misses), in [0, 1]
 * @param margin the mean of chosen reward minus rejected reward
 * @param rewardChosen the mean implicit reward of the chosen completions
 * @param rewardRejected the mean implicit reward of the rejected completions
 * @param logpChosen the policy's mean summed log-prob of the chosen completions
 * @param logpRejected the policy's mean summed log-prob of the rejected completions
 */
public record PreferenceMetrics(int pairs, double accuracy, double margin, double rewardChosen, double rewardRejected,
                                double logpChosen, double logpRejected) {

    /** Accumulates pairs one at a time; not thread-safe. */
    public static final class Tally {
        private final double beta;
        private int n;
        private double acc, margin, rc, rr, lc, lr;

        /**
         * An empty tally.
         *
         * @param beta the DPO β the log-prob differences are scaled by
         */
        public Tally(double beta) {
            this.beta = beta;
        }

        /**
         * Adds one pair: the policy's and the reference's summed log-probs of chosen and rejected.
         *
         * @param policyChosen log π(chosen | prompt)
         * @param policyRejected log π(rejected | prompt)
         * @param refChosen log π_ref(chosen | prompt)
         * @param refRejected log π_ref(rejected | prompt)
         */
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

        /** {@return the means over the pairs added so far (NaN before the first)} */
        public PreferenceMetrics result() {
            return new PreferenceMetrics(n, acc / n, margin / n, rc / n, rr / n, lc / n, lr / n);
        }
    }
}
