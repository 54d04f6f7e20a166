package io.jdpo.train;

import io.jdpo.progress.StepMetrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The metrics of one supervised fine-tuning step or evaluation, under TRL's SFTTrainer names in
 * {@link #row()}. An evaluation has no epoch, token count, learning rate, gradient norm or speed
 * (NaN here, absent from the row).
 *
 * @param eval              true for an evaluation on held-out samples (row keys prefixed {@code eval_})
 * @param step              the optimizer steps taken when the row was measured
 * @param epoch             passes over the training set so far (NaN for an evaluation)
 * @param loss              mean negative log-likelihood per completion token, nats
 * @param meanTokenAccuracy share of completion tokens that are the policy's most likely token
 * @param entropy           the policy's predictive entropy at the completion tokens, mean per token, nats
 * @param numTokens         prompt and completion tokens trained on so far (TRL's num_tokens; 0 for an evaluation)
 * @param logpsCompletion   the policy's summed log-probability of a completion, mean over the samples, nats
 * @param learningRate      the learning rate of the step
 * @param gradNorm          the L2 norm of the step's gradient, before clipping
 * @param tokensPerSecond   tokens through the forward and backward per second of the step
 */
public record SftMetrics(boolean eval, int step, double epoch, double loss, double meanTokenAccuracy, double entropy, long numTokens,
                         double logpsCompletion, double learningRate, double gradNorm, double tokensPerSecond) implements StepMetrics {

    @Override
    public Map<String, Object> row() {
        String p = eval ? "eval_" : "";
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        if (!eval) m.put("epoch", epoch);
        m.put(p + "loss", loss);
        m.put(p + "mean_token_accuracy", meanTokenAccuracy);
        m.put(p + "entropy", entropy);
        if (!eval) m.put("num_tokens", numTokens);
        m.put(p + "logps/completion", logpsCompletion);
        if (!eval) {
            m.put("learning_rate", learningRate);
            m.put("grad_norm", gradNorm);
            m.put("tokens_per_second", tokensPerSecond);
        }
        return m;
    }
}
