package io.jdpo.train;

import java.nio.file.Path;
import java.util.Map;

/**
 * The outcome of a run: where the adapter and metrics went, the last training and
 * evaluation metrics (TRL names; evaluation keys prefixed {@code eval_}), and the counts a
 * user should see.
 */
public record TrainResult(Path adapter, Path metrics, int steps, Map<String, Object> lastTrain, Map<String, Object> firstEval,
                          Map<String, Object> lastEval, int truncatedPairs, double seconds, double tokensPerSecond) {
}
