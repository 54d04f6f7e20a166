package io.jdpo.model;

/**
 * A training forward over one sequence: its log-probabilities and what the backward pass
 * needs. With recomputation only each layer's input is kept and the rest is recomputed
 * layer by layer during the backward, bounding memory on long sequences.
 */
public final class ForwardPass {
    final int[] tokens;
    final int from;
    final float[] logProbs;
    /** The residual stream after the last layer, before the output norm. */
    final float[] xFinal;
    final Rope.Table rope;
    /** Every layer's activations, or null when recomputing. */
    final LayerActivations[] layers;
    /** Every layer's input, when recomputing. */
    final float[][] layerInputs;

    ForwardPass(int[] tokens, int from, float[] logProbs, float[] xFinal, Rope.Table rope, LayerActivations[] layers,
                float[][] layerInputs) {
        this.tokens = tokens;
        this.from = from;
        this.logProbs = logProbs;
        this.xFinal = xFinal;
        this.rope = rope;
        this.layers = layers;
        this.layerInputs = layerInputs;
    }

    /** log p(tokens[t] | tokens[..t)) for t in [from, T). */
    public float[] logProbs() {
        return logProbs.clone();
    }

    /** The summed completion log-probability, in double. */
    public double sum() {
        double s = 0;
        for (float v : logProbs) s += v;
        return s;
    }

    public int length() {
        return logProbs.length;
    }
}
