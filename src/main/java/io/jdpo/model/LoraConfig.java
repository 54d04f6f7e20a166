package io.jdpo.model;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Shape and scaling of a LoRA adapter: rank r, alpha, and rsLoRA (scale alpha/√r instead of
 * alpha/r, which keeps updates from shrinking as the rank grows).
 */
public record LoraConfig(int rank, float alpha, boolean rsLora, Set<LoraTarget> targets) {
    public LoraConfig {
        if (rank < 1) throw new IllegalArgumentException("rank must be >= 1, got " + rank);
        if (targets.isEmpty()) throw new IllegalArgumentException("no LoRA target");
        targets = Collections.unmodifiableSet(EnumSet.copyOf(targets));
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
