package io.jdpo.train;

import io.jdpo.JdpoException;

import java.util.Locale;

/**
 * The step-0 gate: per-token |Java policy − llama.cpp reference| before any update, and
 * whether it lies within bounds. A comparison written as "gap &gt; bound fails" lets NaN pass
 * (an empty training set gives a mean of 0/0, and NaN &gt; bound is false), so the gate is
 * written the other way round: only finite values over at least one token can pass.
 *
 * @param tokens completion tokens compared
 * @param pairs  pairs they came from
 * @param mean   mean |Δ log-prob| per token, nats (NaN when no token was compared)
 * @param max    the largest |Δ log-prob|, nats
 */
public record StepZeroGap(int tokens, int pairs, double mean, double max) {

    /** Accumulates the per-token gaps of one sequence after another. */
    static final class Meter {
        private double sum, max;
        private int tokens, pairs;

        void add(float[] ours, float[] theirs) {
            for (int t = 0; t < ours.length; t++) {
                double d = Math.abs((double) ours[t] - theirs[t]);
                sum += d;
                // Math.max keeps a NaN once seen; a plain comparison would drop it.
                max = Math.max(max, d);
                tokens++;
            }
        }

        void pairDone() {
            pairs++;
        }

        StepZeroGap result() {
            return new StepZeroGap(tokens, pairs, tokens == 0 ? Double.NaN : sum / tokens, max);
        }
    }

    /** The gap of the policy's log-probs (chosen, rejected per pair) to the reference's, pair by pair. */
    static StepZeroGap of(java.util.List<float[][]> ours, java.util.List<ReferenceScorer.Scores> theirs) {
        Meter meter = new Meter();
        for (int i = 0; i < ours.size(); i++) {
            meter.add(ours.get(i)[0], theirs.get(i).chosen());
            meter.add(ours.get(i)[1], theirs.get(i).rejected());
            meter.pairDone();
        }
        return meter.result();
    }

    /**
     * Whether the gap can be judged at all.
     *
     * @return true when at least one token was compared and both figures are finite
     */
    public boolean isFinite() {
        return tokens > 0 && Double.isFinite(mean) && Double.isFinite(max);
    }

    /**
     * Whether the gap is within bounds.
     *
     * @param maxMean  the bound on the mean, nats per token
     * @param maxToken the bound on any one token, nats
     * @return true when the gap is finite and within both bounds
     */
    public boolean within(double maxMean, double maxToken) {
        return isFinite() && mean <= maxMean && max <= maxToken;
    }

    /**
     * Refuses to train when the gap is past the bounds (unless forced) or not a number at
     * all (even when forced: there is nothing to train from).
     *
     * @param maxMean  the bound on the mean, nats per token
     * @param maxToken the bound on any one token, nats
     * @param force    train past the bounds (never past a non-finite gap)
     * @throws JdpoException when refused, with the figures and the way to force
     */
    public void check(double maxMean, double maxToken, boolean force) {
        check(maxMean, maxToken, force, "llama.cpp");
    }

    /**
     * As {@link #check(double, double, boolean)}, naming what the Java forward was compared with.
     *
     * @param maxMean  the bound on the mean, nats per token
     * @param maxToken the bound on any one token, nats
     * @param force    train past the bounds (never past a non-finite gap)
     * @param against  what the Java forward was compared with, for the message
     * @throws JdpoException when refused
     */
    public void check(double maxMean, double maxToken, boolean force, String against) {
        if (!isFinite()) {
            throw new JdpoException(tokens == 0
                    ? "step 0: no completion tokens to compare the Java policy with llama.cpp's reference (empty training set?)"
                    : String.format(Locale.ROOT, "step 0: the Java policy or llama.cpp's reference gave a non-finite log-prob"
                    + " (mean |Δ| %s, max %s over %d tokens): the model's weights or the data are broken", mean, max, tokens));
        }
        if (!within(maxMean, maxToken) && !force) {
            throw new JdpoException(String.format(Locale.ROOT,
                    "the Java forward differs from %s by mean %.3g / max %.3g nats per token (bounds %.2g / %.2g):"
                            + " its gradients would not be those of the model llama.cpp runs. Please report it with the model;"
                            + " --force (force: true in a config file) trains anyway.", against, mean, max, maxMean, maxToken));
        }
    }
}
