package io.jdpo.train;

import io.jdpo.gguf.GgufModel;
import io.jdpo.model.LoraConfig;
import io.jdpo.model.LoraWeights;
import io.jdpo.model.ModelConfig;
import io.jdpo.model.Transformer;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What a training run will reserve off the Java heap, checked against what this JVM may reserve
 * before the run does any work: the adapter with its gradient and AdamW's two moments, and the
 * activations each pass in flight keeps for its backward (unless they are recomputed). The JVM
 * caps all of it at {@code -XX:MaxDirectMemorySize} (by default the heap's {@code -Xmx}); a run
 * over that cap would otherwise find out at its first step, after the reference scoring.
 */
final class OffHeapBudget {
    private OffHeapBudget() {
    }

    /**
     * @param model          the GGUF the run trains on
     * @param lora           the adapter's rank and targets
     * @param recompute      whether the backward recomputes the activations (then only the adapter counts)
     * @param longestPass    rows of the longest forward pass (a pair: prompt and both completions)
     * @param passesInFlight forward passes held at once before their backwards
     * @throws IllegalArgumentException naming the sizes, the flag and the ways round it, if they exceed the cap
     */
    static void check(Path model, LoraConfig lora, boolean recompute, int longestPass, int passesInFlight) throws IOException {
        ModelConfig cfg;
        try (GgufModel g = GgufModel.open(model)) {
            cfg = ModelConfig.from(g);
        }
        long adapter = 4L * Float.BYTES * LoraWeights.parameterCount(cfg, lora);
        long kept = recompute ? 0 : passesInFlight * Transformer.keptActivationBytes(cfg, lora, longestPass);
        long cap = cap();
        if (adapter + kept <= cap) return;
        throw new IllegalArgumentException(String.format(Locale.ROOT,
                "this run needs %.0f MiB off the Java heap (%.0f MiB of activations kept for the backward of %d pass%s of up to %d"
                        + " tokens, %.0f MiB for the adapter, its gradient and AdamW's moments), more than the %.0f MiB this JVM may"
                        + " reserve: raise -XX:MaxDirectMemorySize (in JDPO_JAVA_OPTS; by default the heap's -Xmx), lower"
                        + " --max-length%s, or recompute the activations in the backward (--recompute)",
                mib(adapter + kept), mib(kept), passesInFlight, passesInFlight == 1 ? "" : "es", longestPass, mib(adapter), mib(cap),
                passesInFlight > 1 ? " or --batch-size" : ""));
    }

    /** {@return the bytes this JVM lets native segments and direct buffers reserve together} */
    static long cap() {
        var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        long set = bean == null ? 0 : Long.parseLong(bean.getVMOption("MaxDirectMemorySize").getValue());
        // 0 is the JVM's "not set": then the cap is the heap's maximum.
        return set > 0 ? set : Runtime.getRuntime().maxMemory();
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }
}
