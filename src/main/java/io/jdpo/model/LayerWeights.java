package io.jdpo.model;

import io.jdpo.tensor.QuantMatrix;

/**
 * One transformer block's frozen weights: matrices read in place from the GGUF mapping, the
 * small norm and bias vectors decoded to floats. Biases, Q/K norms and post-norms are null
 * where the architecture has none; with a fused {@code wqkv} (Phi-3) wq/wk/wv are null, and
 * with a fused gate/up (Phi-3) gate is null and up holds both, gate rows first. Vectors are
 * read by every forward: they must not be modified outside full-parameter training.
 *
 * @param attnNorm     the RMS norm weight before attention, d values
 * @param wq           the query projection, qDim × d, or null when fused
 * @param wk           the key projection, kvDim × d, or null when fused
 * @param wv           the value projection, kvDim × d, or null when fused
 * @param wo           the attention output projection, d × qDim
 * @param bq           the query bias, qDim values, or null
 * @param bk           the key bias, kvDim values, or null
 * @param bv           the value bias, kvDim values, or null
 * @param qNorm        the per-head RMS norm weight of Q, headDim values, or null
 * @param kNorm        the per-head RMS norm weight of K, headDim values, or null
 * @param ffnNorm      the RMS norm weight before the MLP, d values
 * @param gate         the gate projection, ffn × d, or null when fused into up
 * @param up           the up projection, ffn × d (2·ffn × d when fused, gate rows first)
 * @param down         the down projection, d × ffn
 * @param wqkv         the fused Q/K/V projection, (qDim + 2·kvDim) × d, or null
 * @param attnPostNorm the RMS norm weight on the attention output, d values, or null
 * @param ffnPostNorm  the RMS norm weight on the MLP output, d values, or null
 */
public record LayerWeights(float[] attnNorm, QuantMatrix wq, QuantMatrix wk, QuantMatrix wv, QuantMatrix wo,
                           float[] bq, float[] bk, float[] bv, float[] qNorm, float[] kNorm,
                           float[] ffnNorm, QuantMatrix gate, QuantMatrix up, QuantMatrix down,
                           QuantMatrix wqkv, float[] attnPostNorm, float[] ffnPostNorm) {
}
