package io.jdpo.train;

import java.nio.file.Path;

/**
 * The outcome of a run: where the adapter and metrics went, the last training step's and the
 * first and last evaluations' metrics (null when there was none: no evaluation set, or a
 * resumed run with no step left), and the counts a user should see.
 */
public record TrainResult(Path adapter, Path metrics, int steps, StepMetrics lastTrain, EvalMetrics firstEval,
                          EvalMetrics lastEval, int truncatedPairs, double seconds, double tokensPerSecond) {
}
