package io.jdpo.progress;

/**
 * What a running trainer reports: progress of long stages, metric rows, and notable events.
 * Every method has an empty default, so a listener implements only what it shows. Calls come
 * on the threads doing the work, so they should return quickly; an exception a listener
 * throws propagates into the run.
 */
public interface TrainListener {
    /**
     * Progress of a long stage. Called repeatedly, with {@code done} rising to {@code total}.
     *
     * @param stage the stage's name, e.g. "reference", "train", "eval"
     * @param done units finished so far
     * @param total units in the stage
     * @param tokens tokens processed so far in the stage, for a rate
     */
    default void progress(String stage, long done, long total, long tokens) {
    }

    /**
     * The metrics of one training step or evaluation (also written to metrics.jsonl as
     * {@link StepMetrics#row()}).
     *
     * @param row the step's metrics; a trainer's own record type (the DPO trainer's DpoMetrics)
     */
    default void metrics(StepMetrics row) {
    }

    /**
     * A line for the user: the step-0 gap, truncation counts, checkpoints.
     *
     * @param line the text, without a line terminator
     */
    default void message(String line) {
    }

    /** A listener that ignores everything. */
    TrainListener SILENT = new TrainListener() {
    };
}
