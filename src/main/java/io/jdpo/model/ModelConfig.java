package io.jdpo.model;

import io.jdpo.gguf.GgufModel;
import io.jdpo.gguf.GgufValue;

/**
 * Hyper-parameters of a model, read only from GGUF metadata under its own architecture
 * prefix ({@code <arch>.embedding_length}, ...), never assuming "llama.".
 *
 * @param arch           the transformer family
 * @param dim            the residual stream's width d ({@code embedding_length})
 * @param layers         the number of decoder blocks ({@code block_count})
 * @param heads          query heads per layer
 * @param kvHeads        key/value heads per layer; divides {@code heads} (grouped-query attention)
 * @param headDim        values per head ({@code attention.key_length}, else d / heads)
 * @param ffn            the MLP's hidden width ({@code feed_forward_length})
 * @param vocab          vocabulary size: the tokenizer's token count, else {@code vocab_size}
 * @param contextLength  the longest sequence in positions ({@code context_length}, else 2048)
 * @param rmsEps         the ε added to the mean square in every RMS norm
 * @param ropeBase       rope's frequency base θ ({@code rope.freq_base}, else 10000)
 * @param ropeDim        dimensions of each head that rope rotates (≤ headDim)
 * @param ropeFreqScale  multiplies rope's positions: 1 / the linear scaling factor, 1 without scaling
 * @param attentionScale multiplies q·k before the softmax: {@code attention.scale}, else 1/√headDim
 *                       (Gemma and Phi-3: as their llama.cpp loaders compute it)
 * @param features       what the block does beyond the Llama block
 */
public record ModelConfig(Architecture arch, int dim, int layers, int heads, int kvHeads, int headDim,
                          int ffn, int vocab, int contextLength, float rmsEps, float ropeBase, int ropeDim,
                          float ropeFreqScale, float attentionScale, ArchFeatures features) {

    /**
     * A config with no features beyond the Llama block's (hand-made configs in tests); Qwen2's Q/K/V
     * biases and Qwen3's Q/K norms still follow from {@code arch}.
     *
     * @param arch           the transformer family
     * @param dim            the residual stream's width d
     * @param layers         the number of decoder blocks
     * @param heads          query heads per layer
     * @param kvHeads        key/value heads per layer; divides {@code heads}
     * @param headDim        values per head
     * @param ffn            the MLP's hidden width
     * @param vocab          vocabulary size
     * @param contextLength  the longest sequence in positions
     * @param rmsEps         the ε of every RMS norm
     * @param ropeBase       rope's frequency base θ
     * @param ropeDim        dimensions of each head that rope rotates
     * @param ropeFreqScale  multiplies rope's positions (1 = no scaling)
     * @param attentionScale multiplies q·k before the softmax
     */
    public ModelConfig(Architecture arch, int dim, int layers, int heads, int kvHeads, int headDim, int ffn, int vocab,
                       int contextLength, float rmsEps, float ropeBase, int ropeDim, float ropeFreqScale, float attentionScale) {
        this(arch, dim, layers, heads, kvHeads, headDim, ffn, vocab, contextLength, rmsEps, ropeBase, ropeDim, ropeFreqScale,
                attentionScale, ArchFeatures.plain(arch));
    }

    /** {@return the width of K and of V per token: kvHeads × headDim} */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /** {@return the width of Q per token: heads × headDim (not always d, e.g. Gemma)} */
    public int qDim() {
        return heads * headDim;
    }

    /**
     * Reads a model's hyper-parameters from its metadata, as llama.cpp's loader for the architecture
     * reads them (defaults included).
     *
     * @param g an open GGUF model
     * @return the config
     * @throws UnsupportedModelException if the architecture is not supported, a required key is
     *                                   missing (named with the file), or a setting is one the
     *                                   Java forward does not implement (other rope scaling than
     *                                   linear, key and value head sizes that differ, ...)
     */
    public static ModelConfig from(GgufModel g) {
        String archName = g.getString("general.architecture");
        Architecture arch = Architecture.fromGguf(archName);
        Keys k = new Keys(g, archName);
        int dim = k.integer("embedding_length");
        int heads = k.integer("attention.head_count");
        int kvHeads = k.integerOr("attention.head_count_kv", heads);
        int headDim = k.integerOr("attention.key_length", dim / heads);
        if (k.integerOr("attention.value_length", headDim) != headDim) {
            throw new UnsupportedModelException(archName + ": key and value head sizes differ");
        }
        if (heads % kvHeads != 0) {
            throw new UnsupportedModelException(archName + ": " + heads + " heads are not a multiple of " + kvHeads + " KV heads");
        }
        GgufValue tokens = g.get("tokenizer.ggml.tokens");
        int vocab = tokens != null ? tokens.asList().size() : k.integer("vocab_size");
        float freqScale = 1f;
        GgufValue scalingType = g.get(archName + ".rope.scaling.type");
        if (scalingType != null && !scalingType.asString().equals("none")) {
            if (!scalingType.asString().equals("linear")) {
                throw new UnsupportedModelException(archName + ": rope scaling '" + scalingType.asString() + "' is not supported");
            }
            freqScale = 1f / (float) k.realOr("rope.scaling.factor", 1);
        }
        int layers = k.integer("block_count");
        float ropeBase = (float) k.realOr("rope.freq_base", 10000);
        float attnScale = (float) k.realOr("attention.scale", 0);
        if (attnScale == 0) attnScale = (float) (1 / Math.sqrt(headDim));
        ArchFeatures features = switch (arch) {
            case LLAMA, QWEN2, QWEN3 -> ArchFeatures.plain(arch);
            case GEMMA2, GEMMA3 -> gemma(arch, k, g, dim, layers, ropeBase, freqScale);
            case PHI3 -> new ArchFeatures(1f, false, false, false, false, g.fileOf("blk.0.attn_qkv.weight") != null,
                    g.fileOf("blk.0.ffn_gate.weight") == null, 0, 0,
                    // llama_model_phi3 reads phi3.attention.sliding_window and then switches
                    // sliding-window attention off ("currently disabled"): every layer sees everything.
                    0, null, 0, 1, (float) k.realOr("rope.scaling.attn_factor", 1), false);
        };
        if (arch == Architecture.GEMMA2 || arch == Architecture.GEMMA3) {
            // llama_model_gemma{2,3}: 1/√head_dim, except the 27B models (62 or 46 layers), which
            // use 1/√(d/heads); attention.scale is not read.
            boolean big = layers == (arch == Architecture.GEMMA3 ? 62 : 46);
            attnScale = (float) (1.0f / (float) Math.sqrt(big ? (float) (dim / heads) : (float) headDim));
        } else if (arch == Architecture.PHI3) {
            attnScale = 1.0f / (float) Math.sqrt((float) headDim);
        }
        return new ModelConfig(arch, dim, layers, heads, kvHeads, headDim,
                k.integer("feed_forward_length"), vocab, k.integerOr("context_length", 2048),
                (float) k.real("attention.layer_norm_rms_epsilon"), ropeBase,
                k.integerOr("rope.dimension_count", headDim), freqScale, attnScale, features);
    }

    /** Gemma 2 and 3 as llama_model_gemma2/gemma3::load_arch_hparams read them. */
    private static ArchFeatures gemma(Architecture arch, Keys k, GgufModel g, int dim, int layers, float ropeBase, float freqScale) {
        boolean two = arch == Architecture.GEMMA2;
        int window;
        boolean[] swa;
        float baseSwa;
        if (two) {
            // Gemma 2 always slides (window 4096 unless stated, every other layer), its local
            // layers using the global rope base unless rope.freq_base_swa says otherwise.
            window = k.integerOr("attention.sliding_window", 4096);
            swa = swaPattern(k, g, layers, 2);
            baseSwa = (float) k.realOr("rope.freq_base_swa", ropeBase);
        } else {
            window = k.integerOr("attention.sliding_window", 0);
            swa = window > 0 ? swaPattern(k, g, layers, 6) : null;
            // Gemma 3's local layers: rope.freq_base_swa, else llama.cpp's default of 10000.
            baseSwa = (float) k.realOr("rope.freq_base_swa", 10000);
        }
        float finalCap = (float) k.realOr("final_logit_softcapping", two ? 30 : 0);
        float attnCap = two ? (float) k.realOr("attn_logit_softcapping", 50) : 0;
        // ggml_scale(inpL, sqrtf(n_embd)): the square root taken in float.
        return new ArchFeatures((float) Math.sqrt((float) dim), true, true, !two, false, false, false, attnCap, finalCap,
                swa == null ? 0 : window, swa, baseSwa, two ? freqScale : 1f, 1f, two);
    }

    /** attention.sliding_window_pattern: the period llama.cpp's Gemma loaders read (a number; arrays are refused). */
    private static boolean[] swaPattern(Keys k, GgufModel g, int layers, int defaultPeriod) {
        GgufValue v = g.get(k.prefix() + ".attention.sliding_window_pattern");
        if (v == null) return ArchFeatures.pattern(layers, defaultPeriod);
        if (v.elementType() != null) {
            throw new UnsupportedModelException(k.prefix() + ".attention.sliding_window_pattern is an array in "
                    + g.paths().getFirst() + "; only a period is supported");
        }
        return ArchFeatures.pattern(layers, Math.toIntExact(v.asLong()));
    }

    /** Reads {@code <arch>.<key>}, naming the key when it is missing. */
    private record Keys(GgufModel g, String prefix) {
        GgufValue value(String key) {
            GgufValue v = g.get(prefix + "." + key);
            if (v == null) throw new UnsupportedModelException("metadata key '" + prefix + "." + key + "' missing in " + g.paths().getFirst());
            return v;
        }

        int integer(String key) {
            return Math.toIntExact(value(key).asLong());
        }

        int integerOr(String key, int dflt) {
            GgufValue v = g.get(prefix + "." + key);
            return v == null ? dflt : Math.toIntExact(v.asLong());
        }

        double real(String key) {
            return value(key).asDouble();
        }

        double realOr(String key, double dflt) {
            GgufValue v = g.get(prefix + "." + key);
            return v == null ? dflt : v.asDouble();
        }
    }
}
