package io.jdpo.progress;

import java.util.Map;

/**
 * One row of a trainer's metrics. Each trainer reports its own record (the DPO trainer's
 * {@code DpoMetrics}) whose fields a program reads directly; {@link #row()} is the
 * same row under TRL's names, as written to {@code metrics.jsonl} and shown on the console.
 */
public interface StepMetrics {
    /** {@return the optimizer step the row belongs to (0 for an evaluation before training)} */
    int step();

    /** {@return true for an evaluation on held-out data, false for a training step} */
    boolean eval();

    /** {@return the loss (the mean over the step's or the evaluation's examples)} */
    double loss();

    /**
     * {@return the row under TRL's names, in a stable order; evaluation keys carry the {@code eval_} prefix, and a value the step did not have is absent (JSON has no NaN)}
     */
    Map<String, Object> row();
}
