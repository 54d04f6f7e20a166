package io.jdpo.model;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Shape and scaling of a LoRA adapter: rank r, alpha, rsLoRA (scale alpha/√r instead of
 * alpha/r, which keeps updates from shrinking as the rank grows), and dropout on the
 * adapter's input during training forwards.
 *
 * @param rank    r, the inner width of B·A, ≥ 1
 * @param alpha   the scaling numerator: the update is multiplied by alpha/r (alpha/√r with rsLoRA)
 * @param rsLora  true for rank-stabilised scaling, alpha/√r
 * @param targets the projections to adapt, not empty; kept as an unmodifiable copy
 * @param dropout the probability in [0, 1) that an input value of the adapter is zeroed in a
 *                training forward (survivors scaled by 1/(1 − p)); 0 for none
 */
public record LoraConfig(int rank, float alpha, boolean rsLora, Set<LoraTarget> targets, float dropout) {
    /**
     * Checks and copies the values.
     *
     * @throws IllegalArgumentException if rank &lt; 1, dropout is outside [0, 1) or targets is empty
     */
    public LoraConfig {
        if (rank < 1) throw new IllegalArgumentException("rank must be >= 1, got " + rank);
        if (dropout < 0 || dropout >= 1) throw new IllegalArgumentException("LoRA dropout must lie in [0, 1), got " + dropout);
        if (targets.isEmpty()) throw new IllegalArgumentException("no LoRA target");
        targets = Collections.unmodifiableSet(EnumSet.copyOf(targets));
    }

    /**
     * A config without dropout.
     *
     * @param rank    r, ≥ 1
     * @param alpha   the scaling numerator
     * @param rsLora  true for alpha/√r scaling
     * @param targets the projections to adapt, not empty
     * @throws IllegalArgumentException if rank &lt; 1 or targets is empty
     */
    public LoraConfig(int rank, float alpha, boolean rsLora, Set<LoraTarget> targets) {
        this(rank, alpha, rsLora, targets, 0f);
    }

    /** {@return the factor the product B·A is multiplied by: alpha/r, or alpha/√r with rsLoRA} */
    public float scale() {
        return (float) (rsLora ? alpha / Math.sqrt(rank) : alpha / rank);
    }

    /** {@return the alpha llama.cpp must read so that its alpha/r equals {@link #scale()}: rsLoRA folded in} */
    public float exportedAlpha() {
        return scale() * rank;
    }
}
