package io.jdpo.model;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Shape and scaling of a LoRA adapter: rank r, alpha, rsLoRA (scale alpha/√r instead of
 * alpha/r, which keeps updates from shrinking as the rank grows), and dropout on the
 * adapter's input during training forwards.
 */
public record LoraConfig(int rank, float alpha, boolean rsLora, Set<LoraTarget> targets, float dropout) {
    public LoraConfig {
        if (rank < 1) throw new IllegalArgumentException("rank must be >= 1, got " + rank);
        if (dropout < 0 || dropout >= 1) throw new IllegalArgumentException("LoRA dropout must lie in [0, 1), got " + dropout);
        if (targets.isEmpty()) throw new IllegalArgumentException("no LoRA target");
        targets = Collections.unmodifiableSet(EnumSet.copyOf(targets));
    }

    public LoraConfig(int rank, float alpha, boolean rsLora, Set<LoraTarget> targets) {
        this(rank, alpha, rsLora, targets, 0f);
    }

    /** The factor the product B·A is multiplied by. */
    public float scale() {
        return (float) (rsLora ? alpha / Math.sqrt(rank) : alpha / rank);
    }

    /** The alpha llama.cpp must read so that its alpha/r equals {@link #scale()}: rsLoRA folded in. */
    public float exportedAlpha() {
        return scale() * rank;
    }
}
