package io.jdpo.loop;

/**
 * One sampled completion of a prompt, scored: its tokens (the end-of-generation token
 * included when the model emitted one, since its probability is part of the sequence's),
 * its text, the reward of the text, and the per-token log-probs of the tokens under the
 * policy (base + adapter) and the reference (base alone), both from llama.cpp.
 *
 * @param prompt index of the prompt in the list sampled from
 * @param tokens the completion's tokens as the trainer sees them
 * @param text the completion's text (without a stop string)
 * @param reward the reward of {@code text}
 * @param policy log p_policy of each token of {@code tokens} (nats)
 * @param reference log p_ref of each token of {@code tokens} (nats)
 * @param endedWithEos whether the model ended the completion itself (TRL's contain_eos_token)
 */
public record Rollout(int prompt, int[] tokens, String text, double reward, float[] policy, float[] reference, boolean endedWithEos) {
    /**
     * The sequence-level log-ratio log π(y|x) − log π_ref(y|x); its mean over samples y ~ π is
     * the KL(π‖π_ref) estimate of the DPO paper's Figure 2 and TRL's objective/kl.
     *
     * @return the log-ratio of this completion (nats)
     */
    public double logRatio() {
        return sum(policy) - sum(reference);
    }

    /**
     * The policy's sequence log-prob; minus its mean is TRL's objective/entropy (a one-sample
     * estimate of the sequence entropy).
     *
     * @return log π(y|x) (nats)
     */
    public double policyLogProb() {
        return sum(policy);
    }

    private static double sum(float[] a) {
        double s = 0;
        for (float v : a) s += v;
        return s;
    }
}
