package io.jdpo.train;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class DpoMetricsTest {
    private static final double NaN = Double.NaN;

    @Test
    void aTrainingRowCarriesTrlNamesInOrder() {
        Map<String, Double> terms = new LinkedHashMap<>();
        terms.put("sigmoid", 0.6);
        terms.put("sft", 2.0);
        DpoMetrics m = new DpoMetrics(false, 3, 0.5, 2.6, terms, 0.2, -0.1, 0.75, 0.3, -40, -45, NaN, 1e-4, 1.5, 900);
        assertEquals(List.of("step", "epoch", "loss", "loss/sigmoid", "loss/sft", "rewards/chosen", "rewards/rejected",
                "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected", "learning_rate", "grad_norm",
                "tokens_per_second"), List.copyOf(m.row().keySet()), "no kl outside KTO");
        assertEquals(0.3, m.row().get("rewards/margins"));
        assertEquals(3, m.row().get("step"));
        terms.put("late", 1.0);
        assertFalse(m.lossTerms().containsKey("late"), "the record copies its terms");
    }

    @Test
    void anEvaluationRowIsPrefixedAndOmitsWhatItLacks() {
        // A KTO evaluation whose held-out set had only desirable examples: no rejected side, no margin, no accuracy.
        DpoMetrics m = new DpoMetrics(true, 10, NaN, 0.4, Map.of(), 0.5, NaN, NaN, NaN, -30, NaN, 0.02, NaN, NaN, NaN);
        assertEquals(List.of("step", "eval_loss", "eval_rewards/chosen", "eval_logps/chosen", "eval_kl"), List.copyOf(m.row().keySet()));
        assertTrue(m.eval());
        assertEquals(10, m.step());
    }
}
