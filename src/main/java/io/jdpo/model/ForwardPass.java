package io.jdpo.model;

/**
 * A training forward over one packed sequence (a plain sequence, or a preference pair with
 * its prompt shared): its log-probabilities and what the backward pass needs. With
 * recomputation only each layer's input is kept and the rest is recomputed layer by layer
 * during the backward, bounding memory on long sequences. Log-probabilities are natural logs.
 * A pass belongs to the {@link Transformer} that made it and goes through at most one backward;
 * it is not thread-safe.
 */
public final class ForwardPass {
    final Layout layout;
    final float[] logProbs;
    /** The residual stream after the last layer, before the output norm. */
    final float[] xFinal;
    final Rope.Tables rope;
    /** Every layer's activations, or null when recomputing. */
    final KeptActivations kept;
    /** Every layer's input, when recomputing. */
    final float[][] layerInputs;
    /** Per prediction, d logp / d(normalised final hidden state): (onehot − softmax)·W_out. */
    final float[] unitGrad;
    /** The LoRA dropout masks of this pass, or null. */
    final Dropout dropout;
    /** Per prediction, log Σ_v p_v²: the log-probability that two draws from the row agree. */
    final float[] logSquares;
    /** Per prediction, the largest log-prob of its row. */
    final float[] top;
    /** Per prediction, the entropy of its row's distribution. */
    final float[] entropy;

    ForwardPass(Layout layout, float[] logProbs, float[] xFinal, Rope.Tables rope, KeptActivations kept,
                float[][] layerInputs, float[] unitGrad, Dropout dropout, float[] logSquares, float[] top, float[] entropy) {
        this.logSquares = logSquares;
        this.top = top;
        this.entropy = entropy;
        this.layout = layout;
        this.logProbs = logProbs;
        this.xFinal = xFinal;
        this.rope = rope;
        this.kept = kept;
        this.layerInputs = layerInputs;
        this.unitGrad = unitGrad;
        this.dropout = dropout;
    }

    private boolean consumed;

    /**
     * {@return layer l's kept activations, loaded into the pass's working arrays} They stay valid
     * until the next call; the pass must have kept its activations (not recomputing).
     */
    LayerActivations layer(int l) {
        LayerActivations a = kept.load(l);
        a.dropout = dropout;
        return a;
    }

    /** Marks the pass used by a backward: its activations go back to the model for reuse. */
    void consumed() {
        consumed = true;
    }

    boolean isConsumed() {
        return consumed;
    }

    /**
     * Per log-prob (in the order of {@link #logProbs()}), the largest log-prob of its row: the
     * target token is the model's top-1 exactly where its log-prob equals this value (TRL's
     * mean_token_accuracy counts those).
     *
     * @return a copy, one value per prediction
     */
    public float[] topLogProbs() {
        return top.clone();
    }

    /**
     * Per log-prob (in the order of {@link #logProbs()}), the entropy of the model's distribution
     * over the vocabulary at that position, −Σ_v p_v·log p_v in nats (TRL's SFT {@code entropy}).
     *
     * @return a copy, one value per prediction
     */
    public float[] entropies() {
        return entropy.clone();
    }

    /** {@return every log-prob of the pass, a sequence's completion or a pair's chosen then rejected (a copy)} */
    public float[] logProbs() {
        return logProbs.clone();
    }

    /**
     * Log-probs of one branch.
     *
     * @param b 0 = chosen, 1 = rejected for a pair; 0 for a sequence
     * @return a copy of the branch's log-probs
     * @throws ArrayIndexOutOfBoundsException if the pass has no branch b
     */
    public float[] logProbs(int b) {
        return java.util.Arrays.copyOfRange(logProbs, layout.branchStarts[b], layout.branchStarts[b + 1]);
    }

    /**
     * The summed log-probability of branch b, in double.
     *
     * @param b 0 = chosen, 1 = rejected for a pair; 0 for a sequence
     * @return the sum of the branch's log-probs
     * @throws ArrayIndexOutOfBoundsException if the pass has no branch b
     */
    public double sum(int b) {
        double s = 0;
        for (int i = layout.branchStarts[b]; i < layout.branchStarts[b + 1]; i++) s += logProbs[i];
        return s;
    }

    /** {@return the summed log-probability of all predictions (a sequence's completion; a pair's two branches together)} */
    public double sum() {
        return sum(0) + (layout.branchStarts.length > 2 ? sum(1) : 0);
    }

    /**
     * log Σ_v p_v² per log-prob, in the order of {@link #logProbs()}: WPO subtracts it from each
     * token's log-prob so a completion's weight measures how likely the policy is to produce it
     * against how concentrated its distributions are.
     *
     * @return a new array, one value (≤ 0) per log-prob
     */
    public float[] logSquaredProbs() {
        return logSquares.clone();
    }

    /** {@return the number of log-probs of the pass} */
    public int length() {
        return logProbs.length;
    }

    /** {@return the tokens the pass put through the model (a pair counts its prompt once)} */
    public int tokens() {
        return layout.length();
    }
}
