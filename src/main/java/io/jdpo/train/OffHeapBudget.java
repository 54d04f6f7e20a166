package io.jdpo.train;

import io.jdpo.gguf.GgufModel;
import io.jdpo.model.LoraConfig;
import io.jdpo.model.LoraWeights;
import io.jdpo.model.ModelConfig;
import io.jdpo.model.OffHeap;
import io.jdpo.model.Transformer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What a training run will reserve off the Java heap, checked against what this JVM may reserve
 * ({@link OffHeap#limit}) before the run does any work: the adapter with its gradient and AdamW's
 * two moments, and the activations each pass in flight keeps for its backward (unless they are
 * recomputed). A run over the cap would otherwise find out at its first step, after the
 * reference scoring. Not checked: {@link DpoTrainer.Session}, whose sampled lengths are not known
 * before it starts.
 */
final class OffHeapBudget {
    /** Left for what else goes off the heap: llama.cpp batches, slab alignment, a slab not yet freed. */
    static final long HEADROOM = 16L << 20;

    private OffHeapBudget() {
    }

    /**
     * @param model          the GGUF the run trains on
     * @param lora           the adapter's rank and targets
     * @param recompute      whether the backward recomputes the activations (then only the adapter counts)
     * @param longestPass    rows of the longest forward pass (a pair: prompt and both completions)
     * @param passesInFlight forward passes held at once before their backwards
     * @throws IllegalArgumentException naming the sizes, the cap and the ways round, if they exceed the cap
     */
    static void check(Path model, LoraConfig lora, boolean recompute, int longestPass, int passesInFlight) throws IOException {
        ModelConfig cfg;
        try (GgufModel g = GgufModel.open(model)) {
            cfg = ModelConfig.from(g);
        }
        long adapter = 4L * Float.BYTES * LoraWeights.parameterCount(cfg, lora);
        long kept = recompute ? 0 : passesInFlight * Transformer.keptActivationBytes(cfg, lora, longestPass);
        if (adapter + kept + HEADROOM <= OffHeap.limit()) return;
        throw new IllegalArgumentException(String.format(Locale.ROOT,
                "this run needs %.0f MiB off the Java heap (%.0f MiB of activations kept for the backward of %d pass%s of up to %d"
                        + " tokens, %.0f MiB for the adapter, its gradient and AdamW's moments), more than this JVM may reserve"
                        + " (%s): %s%s", mib(adapter + kept), mib(kept), passesInFlight, passesInFlight == 1 ? "" : "es",
                longestPass, mib(adapter), OffHeap.describeLimit(), OffHeap.ADVICE,
                passesInFlight > 1 ? "; or hold fewer passes at once (--batch-size)" : ""));
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }
}
