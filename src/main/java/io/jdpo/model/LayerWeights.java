package io.jdpo.model;

import io.jdpo.tensor.QuantMatrix;

/**
 * One transformer block's frozen weights: matrices read in place from the GGUF mapping, the
 * small norm and bias vectors decoded to floats. Biases and Q/K norms are null where the
 * architecture has none.
 */
public record LayerWeights(float[] attnNorm, QuantMatrix wq, QuantMatrix wk, QuantMatrix wv, QuantMatrix wo,
                           float[] bq, float[] bk, float[] bv, float[] qNorm, float[] kNorm,
                           float[] ffnNorm, QuantMatrix gate, QuantMatrix up, QuantMatrix down) {
}
