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
    /** Llama 3.1's per-dimension rope frequency factors, or null. */
    final float[] ropeFactors;
    final List<LayerWeights> layers;
    private final GgufModel file;
    private final WeightPlacement placement;

    ModelWeights(GgufModel file, ModelConfig cfg, WeightPlacement placement) {
        this.file = file;
        this.placement = placement;
        this.tokenEmbedding = matrix("token_embd.weight", cfg.dim(), cfg.vocab());
        this.output = has("output.weight") ? matrix("output.weight", cfg.dim(), cfg.vocab()) : tokenEmbedding;
        this.outputNorm = vector("output_norm.weight", cfg.dim());
        this.ropeFactors = has("rope_freqs.weight") ? vector("rope_freqs.weight", cfg.ropeDim() / 2) : null;
        List<LayerWeights> ls = new ArrayList<>();
        for (int l = 0; l < cfg.layers(); l++) {
            String p = "blk." + l + ".";
            boolean bias = cfg.arch() == Architecture.QWEN2;
            boolean qk = cfg.arch() == Architecture.QWEN3;
            ls.add(new LayerWeights(vector(p + "attn_norm.weight", cfg.dim()),
                    matrix(p + "attn_q.weight", cfg.dim(), cfg.qDim()), matrix(p + "attn_k.weight", cfg.dim(), cfg.kvDim()),
                    matrix(p + "attn_v.weight", cfg.dim(), cfg.kvDim()), matrix(p + "attn_output.weight", cfg.qDim(), cfg.dim()),
                    bias ? vector(p + "attn_q.bias", cfg.qDim()) : null, bias ? vector(p + "attn_k.bias", cfg.kvDim()) : null,
                    bias ? vector(p + "attn_v.bias", cfg.kvDim()) : null,
                    qk ? vector(p + "attn_q_norm.weight", cfg.headDim()) : null, qk ? vector(p + "attn_k_norm.weight", cfg.headDim()) : null,
                    vector(p + "ffn_norm.weight", cfg.dim()),
                    matrix(p + "ffn_gate.weight", cfg.dim(), cfg.ffn()), matrix(p + "ffn_up.weight", cfg.dim(), cfg.ffn()),
                    matrix(p + "ffn_down.weight", cfg.ffn(), cfg.dim())));
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
