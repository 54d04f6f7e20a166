package io.jdpo.model;

import io.jdpo.tensor.LoraPair;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The trainable LoRA matrices of a model: for each layer and target, A (r × n_in) and
 * B (n_out × r), row-major, so the adapted product is W·x + scale·B·(A·x). A starts
 * Kaiming-uniform and B at zero, so a fresh adapter leaves the model unchanged.
 */
public final class LoraWeights {
    private final LoraConfig config;
    private final Map<Integer, Map<LoraTarget, LoraPair>> layers = new LinkedHashMap<>();

    private LoraWeights(LoraConfig config) {
        this.config = config;
    }

    /** A fresh adapter for a model: A ~ U(−1/√n_in, 1/√n_in) (Kaiming-uniform with a = √5), B = 0. */
    public static LoraWeights init(ModelConfig model, LoraConfig config, long seed) {
        LoraWeights w = new LoraWeights(config);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int l = 0; l < model.layers(); l++) {
            for (LoraTarget t : LoraTarget.values()) {
                if (!config.targets().contains(t)) continue;
                int[] io = shape(model, t);
                float[] a = new float[config.rank() * io[0]];
                double bound = 1 / Math.sqrt(io[0]);
                for (int i = 0; i < a.length; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
                w.put(l, t, new LoraPair(a, new float[io[1] * config.rank()], config.rank(), io[0], io[1]));
            }
        }
        return w;
    }

    /** n_in and n_out of a target's base weight. */
    static int[] shape(ModelConfig m, LoraTarget t) {
        return switch (t) {
            case ATTN_Q -> new int[]{m.dim(), m.qDim()};
            case ATTN_K, ATTN_V -> new int[]{m.dim(), m.kvDim()};
            case ATTN_OUTPUT -> new int[]{m.qDim(), m.dim()};
            case FFN_GATE, FFN_UP -> new int[]{m.dim(), m.ffn()};
            case FFN_DOWN -> new int[]{m.ffn(), m.dim()};
        };
    }

    void put(int layer, LoraTarget t, LoraPair p) {
        layers.computeIfAbsent(layer, k -> new EnumMap<>(LoraTarget.class)).put(t, p);
    }

    public LoraConfig config() {
        return config;
    }

    /** The pair for a layer's projection, or null when it is not adapted. */
    public LoraPair get(int layer, LoraTarget t) {
        Map<LoraTarget, LoraPair> m = layers.get(layer);
        return m == null ? null : m.get(t);
    }

    /** Every adapted projection by layer. */
    public Map<Integer, Map<LoraTarget, LoraPair>> layers() {
        return layers;
    }

    /** The pairs keyed by the base tensor they adapt ("blk.3.attn_q.weight"), for export. */
    public Map<String, LoraPair> byTensorName() {
        Map<String, LoraPair> out = new LinkedHashMap<>();
        layers.forEach((layer, pairs) -> pairs.forEach((t, p) -> out.put("blk." + layer + "." + t.tensor() + ".weight", p)));
        return out;
    }
}
