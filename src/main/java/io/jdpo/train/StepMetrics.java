package io.jdpo.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One optimizer step's metrics, means over its pairs; {@link #row()} gives them under TRL's
 * names, as metrics.jsonl holds them.
 */
public record StepMetrics(int step, double epoch, double loss, double rewardsChosen, double rewardsRejected,
                          double rewardsAccuracy, double logpsChosen, double logpsRejected, double learningRate,
                          double gradNorm, double tokensPerSecond) {

    /** rewards/margins: chosen minus rejected reward. */
    public double rewardsMargin() {
        return rewardsChosen - rewardsRejected;
    }

    public Map<String, Object> row() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("epoch", epoch);
        m.put("loss", loss);
        m.put("rewards/chosen", rewardsChosen);
        m.put("rewards/rejected", rewardsRejected);
        m.put("rewards/accuracies", rewardsAccuracy);
        m.put("rewards/margins", rewardsMargin());
        m.put("logps/chosen", logpsChosen);
        m.put("logps/rejected", logpsRejected);
        m.put("learning_rate", learningRate);
        m.put("grad_norm", gradNorm);
        m.put("tokens_per_second", tokensPerSecond);
        return m;
    }
}
