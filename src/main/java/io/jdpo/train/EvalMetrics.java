package io.jdpo.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Held-out metrics after {@code step} optimizer steps (0: before training), means over the
 * evaluation pairs; {@link #row()} gives them under TRL's {@code eval_} names.
 */
public record EvalMetrics(int step, double loss, double rewardsChosen, double rewardsRejected, double rewardsAccuracy,
                          double logpsChosen, double logpsRejected) {

    /** eval_rewards/margins: chosen minus rejected reward. */
    public double rewardsMargin() {
        return rewardsChosen - rewardsRejected;
    }

    public Map<String, Object> row() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("eval_loss", loss);
        m.put("eval_rewards/chosen", rewardsChosen);
        m.put("eval_rewards/rejected", rewardsRejected);
        m.put("eval_rewards/accuracies", rewardsAccuracy);
        m.put("eval_rewards/margins", rewardsMargin());
        m.put("eval_logps/chosen", logpsChosen);
        m.put("eval_logps/rejected", logpsRejected);
        return m;
    }
}
