package io.jdpo.train;

import java.nio.file.Path;

/**
 * The outcome of a run: where the adapter and metrics went, the last training and
 * evaluation metrics, and the counts a user should see.
 *
 * @param adapter         the trained adapter (GGUF LoRA, llama.cpp loads it)
 * @param metrics         the run's {@code metrics.jsonl}
 * @param steps           optimizer steps of the whole run (resumed steps included)
 * @param lastTrain       the last training step's metrics (null when the run had no step left)
 * @param firstEval       the held-out evaluation before training (null without held-out pairs,
 *                        or when the run resumed: it was measured by the first run)
 * @param lastEval        the held-out evaluation after the last step (null without held-out pairs)
 * @param truncatedPairs  training and held-out pairs shortened to the length limits
 * @param seconds         wall time of the whole run, reference scoring included
 * @param tokensPerSecond tokens through the Java forward and backward per second of training
 */
public record TrainResult(Path adapter, Path metrics, int steps, DpoMetrics lastTrain, DpoMetrics firstEval,
                          DpoMetrics lastEval, int truncatedPairs, double seconds, double tokensPerSecond) {
}
