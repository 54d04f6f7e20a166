package io.jdpo.model;

import io.jdpo.tensor.QuantMatrix;

/**
 * One transformer block's frozen weights: matrices read in place from the GGUF mapping, the
 * small norm and bias vectors decoded to floats. Biases, Q/K norms and post-norms are null
 * where the architecture has none; with a fused {@code wqkv} (Phi-3) wq/wk/wv are null, and
 * with a fused gate/up (Phi-3) gate is null and up holds both, gate rows first.
 */
public record LayerWeights(float[] attnNorm, QuantMatrix wq, QuantMatrix wk, QuantMatrix wv, QuantMatrix wo,
                           float[] bq, float[] bk, float[] bv, float[] qNorm, float[] kNorm,
                           float[] ffnNorm, QuantMatrix gate, QuantMatrix up, QuantMatrix down,
                           QuantMatrix wqkv, float[] attnPostNorm, float[] ffnPostNorm) {
}
