package io.jdpo.model;

/**
 * What a block does beyond the Llama block, read from GGUF metadata and tensor names as
 * llama.cpp's per-architecture loaders read them ({@code src/models/<arch>.cpp} at the pinned
 * commit). One record so the forward and backward ask "is there a post-norm?" rather than
 * "is this Gemma?".
 *
 * @param embedScale     the token embedding is multiplied by this (Gemma: √d, as a float)
 * @param postNorms      RMS norms on the attention and MLP outputs before each residual add (Gemma)
 * @param gelu           the gated MLP uses GELU (tanh approximation) instead of SiLU (Gemma)
 * @param qkNorm         per-head RMS norms on Q and K before rope (Qwen3, Gemma 3)
 * @param qkvBias        biases on the Q, K and V projections (Qwen2)
 * @param fusedQkv       Q, K and V come from one {@code attn_qkv} matrix, rows Q then K then V (Phi-3)
 * @param fusedGateUp    gate and up come from one {@code ffn_up} matrix of 2·ffn rows, gate first (Phi-3)
 * @param attnSoftcap    attention logits become cap·tanh(logit/cap) before the softmax; 0 = none (Gemma 2)
 * @param finalSoftcap   vocabulary logits become cap·tanh(logit/cap); 0 = none (Gemma 2, some Gemma 3)
 * @param slidingWindow  on sliding-window layers a query at position p sees keys at positions
 *                       above p − window; 0 = no layer slides
 * @param swaLayers      which layers slide (null when none does)
 * @param ropeBaseSwa    the rope base of the sliding-window layers
 * @param ropeScaleSwa   the rope frequency scale of the sliding-window layers
 * @param ropeAttnFactor rope's cos and sin are multiplied by this (Phi-3 long-context models)
 * @param outputIsEmbedding the output projection is the token embedding even if an output tensor exists (Gemma 2)
 */
public record ArchFeatures(float embedScale, boolean postNorms, boolean gelu, boolean qkNorm, boolean qkvBias,
                           boolean fusedQkv, boolean fusedGateUp, float attnSoftcap, float finalSoftcap,
                           int slidingWindow, boolean[] swaLayers, float ropeBaseSwa, float ropeScaleSwa,
                           float ropeAttnFactor, boolean outputIsEmbedding) {

    /** A Llama block: none of the above. */
    static ArchFeatures plain(Architecture arch) {
        return new ArchFeatures(1f, false, false, arch == Architecture.QWEN3, arch == Architecture.QWEN2,
                false, false, 0, 0, 0, null, 0, 1, 1, false);
    }

    /**
     * Whether layer l attends through the sliding window.
     *
     * @param l the layer, from 0
     * @return true if layer l slides
     */
    public boolean slides(int l) {
        return swaLayers != null && swaLayers[l];
    }

    /**
     * The window of layer l.
     *
     * @param l the layer, from 0
     * @return the window in positions, or 0 when the layer sees the whole sequence
     */
    public int window(int l) {
        return slides(l) ? slidingWindow : 0;
    }

    /**
     * llama_hparams::set_swa_pattern without dense_first: with period n, layer l slides
     * unless it is the last of each group of n (n = 0: every layer slides).
     */
    static boolean[] pattern(int layers, int period) {
        boolean[] out = new boolean[layers];
        for (int l = 0; l < layers; l++) out[l] = period == 0 || l % period < period - 1;
        return out;
    }
}
