package io.jdpo.train;

import java.nio.file.Path;

/**
 * The outcome of a supervised fine-tuning run.
 *
 * @param adapter          the trained adapter (GGUF LoRA, llama.cpp loads it; {@code --init-adapter} of a DPO run takes it)
 * @param metrics          the run's {@code metrics.jsonl}
 * @param steps            optimizer steps of the whole run (resumed steps included)
 * @param lastTrain        the last training step's metrics (null when the run had no step left)
 * @param firstEval        the held-out evaluation before training (null without held-out samples, or when the run resumed)
 * @param lastEval         the held-out evaluation after the last step (null without held-out samples)
 * @param truncatedSamples training and held-out samples shortened to the length limits
 * @param seconds          wall time of the whole run
 * @param tokensPerSecond  tokens through the Java forward and backward per second of training
 */
public record SftResult(Path adapter, Path metrics, int steps, SftMetrics lastTrain, SftMetrics firstEval, SftMetrics lastEval,
                        int truncatedSamples, double seconds, double tokensPerSecond) {
}
