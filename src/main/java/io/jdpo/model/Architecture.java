package io.jdpo.model;

import java.util.Arrays;
import java.util.Locale;

/**
 * The transformer families the Java forward implements, and what sets them apart. Anything
 * else is refused by name before any work starts.
 */
public enum Architecture {
    /** Llama 2/3/3.x, TinyLlama, SmolLM, Mistral: rope on adjacent pairs. */
    LLAMA(false),
    /** Qwen2: Q/K/V biases, rope on halves (NEOX). */
    QWEN2(true),
    /** Qwen3: per-head RMS norms on Q and K, rope on halves (NEOX). */
    QWEN3(true),
    /**
     * Gemma 2: embeddings scaled by √d, GELU-tanh gated MLP, norms after attention and MLP
     * too, soft-capped attention and output logits, sliding-window attention on every other
     * layer; the output projection is always the token embedding.
     */
    GEMMA2(true),
    /** Gemma 3 (text): Gemma 2's block with per-head Q/K norms instead of attention soft-capping, five local layers to one global. */
    GEMMA3(true),
    /** Phi-3, Phi-3.5, Phi-4-mini: Q, K and V in one fused attn_qkv, gate and up in one fused ffn_up (gate first). */
    PHI3(true);

    /** Rope rotates (x[i], x[i + n/2]) instead of (x[2i], x[2i+1]). */
    public final boolean neoxRope;

    /**
     * llama.cpp multiplies the queries by the attention scale before Q·K (Gemma 2, Gemma 3,
     * Phi-3) rather than the scores in the softmax (Llama, Qwen): the same function, other
     * float roundings.
     *
     * @return true for Gemma 2, Gemma 3 and Phi-3
     */
    public boolean scalesQueries() {
        return this == GEMMA2 || this == GEMMA3 || this == PHI3;
    }

    Architecture(boolean neoxRope) {
        this.neoxRope = neoxRope;
    }

    /** {@return the name {@code general.architecture} gives it, e.g. "qwen2"} */
    public String ggufName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The family of a {@code general.architecture} value.
     *
     * @param name the metadata value, e.g. "llama"
     * @return its family
     * @throws UnsupportedModelException naming the supported names when {@code name} is none of them
     */
    public static Architecture fromGguf(String name) {
        for (Architecture a : values()) {
            if (a.ggufName().equals(name)) return a;
        }
        throw new UnsupportedModelException("architecture '" + name + "' is not supported by the Java forward (supported: "
                + Arrays.stream(values()).map(Architecture::ggufName).toList() + ")");
    }
}
