package io.jdpo.progress;

/** What a running trainer reports: progress of long stages, metric rows, and notable events. */
public interface TrainListener {
    /** {@code done} of {@code total} units of a stage ("reference", "train", "eval"), {@code tokens} processed so far. */
    default void progress(String stage, long done, long total, long tokens) {
    }

    /** The metrics of one training step or evaluation (also written to metrics.jsonl as {@link StepMetrics#row()}). */
    default void metrics(StepMetrics row) {
    }

    /** A line for the user: the step-0 gap, truncation counts, checkpoints. */
    default void message(String line) {
    }

    TrainListener SILENT = new TrainListener() {
    };
}
