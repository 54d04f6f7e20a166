package io.jdpo.model;

import io.jdpo.gguf.GgufModel;
import io.jdpo.gguf.GgufTensorInfo;
import io.jdpo.tensor.Dequantizer;
import io.jdpo.tensor.QuantMatrix;
import io.jdpo.tensor.UnsupportedTypeException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A model's weights as the forward reads them: matrices as {@link QuantMatrix} views of the
 * GGUF mapping (or wherever the {@link WeightPlacement} puts them), the small vectors decoded
 * to floats. Every tensor is checked against the shape the metadata implies before use.
 */
final class ModelWeights {
    final QuantMatrix tokenEmbedding;
    final QuantMatrix output;
    final float[] outputNorm;
    /** Per-dimension rope frequency factors (Llama 3.1's rope_freqs, Phi-3's short factors), or null. */
    final float[] ropeFactors;
    final List<LayerWeights> layers;
    private final GgufModel file;
    private final WeightPlacement placement;

    ModelWeights(GgufModel file, ModelConfig cfg, WeightPlacement placement) {
        this.file = file;
        this.placement = placement;
        ArchFeatures f = cfg.features();
        this.tokenEmbedding = matrix("token_embd.weight", cfg.dim(), cfg.vocab());
        this.output = !f.outputIsEmbedding() && has("output.weight") ? matrix("output.weight", cfg.dim(), cfg.vocab()) : tokenEmbedding;
        this.outputNorm = vector("output_norm.weight", cfg.dim());
        // Phi-3's long-context models carry short and long factors; llama.cpp takes the long
        // ones only when its context exceeds rope.scaling.original_context_length. Training
        // sequences and the parity contexts stay below that, so the Java forward uses the short ones.
        this.ropeFactors = has("rope_freqs.weight") ? vector("rope_freqs.weight", cfg.ropeDim() / 2)
                : has("rope_factors_short.weight") ? vector("rope_factors_short.weight", cfg.ropeDim() / 2) : null;
        // Gemma's norm weights (attn, ffn, post-norms, Q/K norms, output) are stored already
        // transformed: Gemma's RMSNorm multiplies by (1 + w), and convert_hf_to_gguf writes
        // w + 1, so they are used here like any other norm weight.
        List<LayerWeights> ls = new ArrayList<>();
        int d = cfg.dim(), qd = cfg.qDim(), kvd = cfg.kvDim(), ffn = cfg.ffn();
        for (int l = 0; l < cfg.layers(); l++) {
            String p = "blk." + l + ".";
            boolean bias = f.qkvBias(), qk = f.qkNorm(), fused = f.fusedQkv(), post = f.postNorms();
            ls.add(new LayerWeights(vector(p + "attn_norm.weight", d),
                    fused ? null : matrix(p + "attn_q.weight", d, qd), fused ? null : matrix(p + "attn_k.weight", d, kvd),
                    fused ? null : matrix(p + "attn_v.weight", d, kvd), matrix(p + "attn_output.weight", qd, d),
                    bias ? vector(p + "attn_q.bias", qd) : null, bias ? vector(p + "attn_k.bias", kvd) : null,
                    bias ? vector(p + "attn_v.bias", kvd) : null,
                    qk ? vector(p + "attn_q_norm.weight", cfg.headDim()) : null, qk ? vector(p + "attn_k_norm.weight", cfg.headDim()) : null,
                    vector(p + "ffn_norm.weight", d),
                    f.fusedGateUp() ? null : matrix(p + "ffn_gate.weight", d, ffn),
                    matrix(p + "ffn_up.weight", d, f.fusedGateUp() ? 2 * ffn : ffn),
                    matrix(p + "ffn_down.weight", ffn, d),
                    fused ? matrix(p + "attn_qkv.weight", d, qd + 2 * kvd) : null,
                    post ? vector(p + "post_attention_norm.weight", d) : null,
                    post ? vector(p + "post_ffw_norm.weight", d) : null));
        }
        this.layers = List.copyOf(ls);
    }

    private boolean has(String name) {
        return file.fileOf(name) != null;
    }

    private GgufTensorInfo tensor(String name, long... shape) {
        if (!has(name)) throw new UnsupportedModelException("tensor '" + name + "' missing in " + file.paths().getFirst());
        GgufTensorInfo t = file.tensor(name);
        long n = 1;
        for (long d : shape) n *= d;
        if (t.elementCount() != n || t.ne()[0] != shape[0]) {
            throw new UnsupportedModelException("tensor '" + name + "' has shape " + Arrays.toString(t.ne())
                    + ", the metadata implies " + Arrays.toString(shape));
        }
        return t;
    }

    private QuantMatrix matrix(String name, int cols, int rows) {
        GgufTensorInfo t = tensor(name, cols, rows);
        return new QuantMatrix(name, t.type(), placement.matrix(t, file.data(t)), cols, rows);
    }

    private float[] vector(String name, int n) {
        GgufTensorInfo t = tensor(name, n);
        if (!Dequantizer.supports(t.type())) throw new UnsupportedTypeException(name, t.type());
        float[] v = new float[n];
        Dequantizer.dequantize(t.type(), file.data(t), v, 0, n);
        placement.vector(t, v);
        return v;
    }
}
