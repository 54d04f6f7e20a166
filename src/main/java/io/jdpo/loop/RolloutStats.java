package io.jdpo.loop;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a set of samples from the policy says about it, under TRL's OnlineDPOTrainer names:
 * objective/kl (mean sequence log π − log π_ref of samples y ~ π: the KL(π‖π_ref) estimate),
 * objective/entropy (mean −log π(y|x)), objective/scores (mean reward),
 * objective/non_score_reward (−β·kl, as TRL logs it), objective/rlhf_reward (scores −
 * β·kl), val/contain_eos_token (share of samples the model ended itself).
 *
 * @param samples how many samples the means are over
 * @param kl mean sequence-level log-ratio (nats)
 * @param entropy mean −log π(y|x) (nats)
 * @param scores mean reward
 * @param containEos share of samples that ended with an end-of-generation token, in [0, 1]
 * @param meanTokens mean completion length in tokens
 */
public record RolloutStats(int samples, double kl, double entropy, double scores, double containEos, double meanTokens) {
    /**
     * Means over every sample of every group.
     *
     * @param groups per prompt, its samples
     * @return the means (all 0 when there is no sample)
     */
    public static RolloutStats of(List<List<Rollout>> groups) {
        int n = 0;
        double kl = 0, ent = 0, sc = 0, eos = 0, len = 0;
        for (List<Rollout> g : groups) {
            for (Rollout r : g) {
                n++;
                kl += r.logRatio();
                ent -= r.policyLogProb();
                sc += r.reward();
                eos += r.endedWithEos() ? 1 : 0;
                len += r.tokens().length;
            }
        }
        int d = Math.max(1, n);
        return new RolloutStats(n, kl / d, ent / d, sc / d, eos / d, len / d);
    }

    /**
     * The metrics under TRL's names, with {@code prefix} before each ("" for training samples,
     * "eval_" for held-out ones).
     *
     * @param prefix prepended to every name
     * @param beta the KL coefficient of the rlhf_reward
     * @return name → value, in a stable order
     */
    public Map<String, Object> row(String prefix, double beta) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(prefix + "objective/kl", kl);
        m.put(prefix + "objective/entropy", entropy);
        m.put(prefix + "objective/non_score_reward", -beta * kl);
        m.put(prefix + "objective/rlhf_reward", scores - beta * kl);
        m.put(prefix + "objective/scores", scores);
        m.put(prefix + "val/contain_eos_token", containEos);
        m.put(prefix + "completions/mean_length", meanTokens);
        return m;
    }
}
