package io.jdpo.model;

import io.jdpo.gguf.GgufModel;
import io.jdpo.gguf.GgufValue;

/**
 * Hyper-parameters of a model, read only from GGUF metadata under its own architecture
 * prefix ({@code <arch>.embedding_length}, ...), never assuming "llama.".
 */
public record ModelConfig(Architecture arch, int dim, int layers, int heads, int kvHeads, int headDim,
                          int ffn, int vocab, int contextLength, float rmsEps, float ropeBase, int ropeDim,
                          float ropeFreqScale, float attentionScale) {

    public int kvDim() {
        return kvHeads * headDim;
    }

    public int qDim() {
        return heads * headDim;
    }

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
        float attnScale = (float) k.realOr("attention.scale", 0);
        return new ModelConfig(arch, dim, k.integer("block_count"), heads, kvHeads, headDim,
                k.integer("feed_forward_length"), vocab, k.integerOr("context_length", 2048),
                (float) k.real("attention.layer_norm_rms_epsilon"), (float) k.realOr("rope.freq_base", 10000),
                k.integerOr("rope.dimension_count", headDim), freqScale,
                attnScale == 0 ? (float) (1 / Math.sqrt(headDim)) : attnScale);
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
