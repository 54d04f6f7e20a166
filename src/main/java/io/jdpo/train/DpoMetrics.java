package io.jdpo.train;

import io.jdpo.progress.StepMetrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The metrics of one DPO-family training step or evaluation: means over its examples, under
 * TRL's DPOTrainer names in {@link #row()}. A value the step did not have is NaN here and
 * absent from the row: a KTO step may hold only desirable or only undesirable examples (no
 * rejected or chosen means, no accuracy), only KTO has a {@code kl}, an evaluation has no
 * epoch, learning rate, gradient norm or speed.
 *
 * @param eval              true for an evaluation on held-out pairs (row keys prefixed {@code eval_})
 * @param step              the optimizer steps taken when the row was measured
 * @param epoch             passes over the training set so far (NaN for an evaluation)
 * @param loss              the weighted sum of the loss terms
 * @param lossTerms         each term of a multi-term loss by its option name ({@code loss/NAME}), in order
 * @param rewardsChosen     β·(log π − log π_ref) of the chosen (desirable) completions
 * @param rewardsRejected   the same for the rejected (undesirable) completions
 * @param rewardsAccuracies the share of pairs whose chosen reward exceeds the rejected one
 * @param rewardsMargins    rewardsChosen − rewardsRejected
 * @param logpsChosen       the policy's summed log-probability of the chosen completions, nats
 * @param logpsRejected     the same for the rejected completions
 * @param kl                KTO's batch KL estimate (NaN for other losses)
 * @param learningRate      the learning rate of the step
 * @param gradNorm          the L2 norm of the step's gradient, before clipping
 * @param tokensPerSecond   tokens through the forward and backward per second of the step
 */
public record DpoMetrics(boolean eval, int step, double epoch, double loss, Map<String, Double> lossTerms,
                         double rewardsChosen, double rewardsRejected, double rewardsAccuracies, double rewardsMargins,
                         double logpsChosen, double logpsRejected, double kl,
                         double learningRate, double gradNorm, double tokensPerSecond) implements StepMetrics {

    /** Copies {@code lossTerms}: the record is immutable. */
    public DpoMetrics {
        lossTerms = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(lossTerms));
    }

    @Override
    public Map<String, Object> row() {
        String p = eval ? "eval_" : "";
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        if (!eval) m.put("epoch", epoch);
        m.put(p + "loss", loss);
        lossTerms.forEach((k, v) -> m.put(p + "loss/" + k, v));
        put(m, p + "rewards/chosen", rewardsChosen);
        put(m, p + "rewards/rejected", rewardsRejected);
        put(m, p + "rewards/accuracies", rewardsAccuracies);
        put(m, p + "rewards/margins", rewardsMargins);
        put(m, p + "logps/chosen", logpsChosen);
        put(m, p + "logps/rejected", logpsRejected);
        put(m, p + "kl", kl);
        if (!eval) {
            m.put("learning_rate", learningRate);
            m.put("grad_norm", gradNorm);
            m.put("tokens_per_second", tokensPerSecond);
        }
        return m;
    }

    private static void put(Map<String, Object> m, String key, double v) {
        if (!Double.isNaN(v)) m.put(key, v);
    }
}
