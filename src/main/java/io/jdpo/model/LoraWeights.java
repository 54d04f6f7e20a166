package io.jdpo.model;

import io.jdpo.tensor.LoraPair;
import io.jdpo.tensor.SegmentMath;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The trainable LoRA matrices of a model: for each layer and target, A (r × n_in) and
 * B (n_out × r), row-major, so the adapted product is W·x + scale·B·(A·x). All of them live
 * in one off-heap slab (layer by layer, targets in declaration order, A before B), so
 * gradients and optimizer moments can share the layout ({@link #zerosLike()}), the optimizer
 * can walk them as one flat array, and checkpoints can write them as they are.
 * A starts Kaiming-uniform and B at zero, so a fresh adapter leaves the model unchanged.
 *
 * <p>The slab is owned by this object and freed by {@link #close()}: every segment handed out
 * ({@link #slab()}, the pairs' A and B) is unusable after, and access throws
 * {@link IllegalStateException}. The memory is shared across threads; writers to the same values
 * must synchronise themselves.
 */
public final class LoraWeights implements AutoCloseable {
    private final ModelConfig model;
    private final LoraConfig config;
    private final Arena arena;
    private final MemorySegment slab;
    private final Map<Integer, Map<LoraTarget, LoraPair>> layers = new LinkedHashMap<>();

    private LoraWeights(ModelConfig model, LoraConfig config) {
        this.config = config;
        long floats = parameterCount(model, config);
        java.util.Set<LoraTarget> targets = LoraTarget.forModel(config.targets(), model.features());
        this.arena = Arena.ofShared();
        this.slab = arena.allocate(floats * Float.BYTES, 64);
        long off = 0;
        for (int l = 0; l < model.layers(); l++) {
            for (LoraTarget t : LoraTarget.values()) {
                if (!targets.contains(t)) continue;
                int[] io = shape(model, t);
                long aBytes = (long) config.rank() * io[0] * Float.BYTES, bBytes = (long) config.rank() * io[1] * Float.BYTES;
                LoraPair p = new LoraPair(slab.asSlice(off, aBytes), slab.asSlice(off + aBytes, bBytes), config.rank(), io[0], io[1]);
                layers.computeIfAbsent(l, k -> new EnumMap<>(LoraTarget.class)).put(t, p);
                off += aBytes + bBytes;
            }
        }
        this.model = model;
    }

    /**
     * All zeros: an adapter that changes nothing, or a gradient / moment buffer.
     *
     * @param model  the model's shape
     * @param config rank and targets; targets the model fuses are mapped as {@link LoraTarget#forModel} says
     * @return a new adapter the caller closes
     */
    public static LoraWeights zeros(ModelConfig model, LoraConfig config) {
        return new LoraWeights(model, config);
    }

    /**
     * A fresh adapter for a model: A ~ U(−1/√n_in, 1/√n_in) (Kaiming-uniform with a = √5), B = 0.
     *
     * @param model  the model's shape
     * @param config rank and targets
     * @param seed   the seed of A's values: the same seed gives the same adapter
     * @return a new adapter the caller closes
     */
    public static LoraWeights init(ModelConfig model, LoraConfig config, long seed) {
        LoraWeights w = new LoraWeights(model, config);
        SplittableRandom rnd = new SplittableRandom(seed);
        w.layers.values().forEach(pairs -> pairs.values().forEach(p -> {
            double bound = 1 / Math.sqrt(p.nIn());
            long n = (long) p.rank() * p.nIn();
            for (long i = 0; i < n; i++) SegmentMath.set(p.a(), i, (float) ((rnd.nextDouble() * 2 - 1) * bound));
        }));
        return w;
    }

    /** {@return a new buffer of the same layout, all zeros, which the caller closes} */
    public LoraWeights zerosLike() {
        return new LoraWeights(model, config);
    }

    /** n_in and n_out of a target's base weight. */
    static int[] shape(ModelConfig m, LoraTarget t) {
        return switch (t) {
            case ATTN_Q -> new int[]{m.dim(), m.qDim()};
            case ATTN_K, ATTN_V -> new int[]{m.dim(), m.kvDim()};
            case ATTN_QKV -> new int[]{m.dim(), m.qDim() + 2 * m.kvDim()};
            case ATTN_OUTPUT -> new int[]{m.qDim(), m.dim()};
            case FFN_GATE -> new int[]{m.dim(), m.ffn()};
            case FFN_UP -> new int[]{m.dim(), m.features().fusedGateUp() ? 2 * m.ffn() : m.ffn()};
            case FFN_DOWN -> new int[]{m.ffn(), m.dim()};
        };
    }

    /** {@return the rank, scaling, targets and dropout the adapter was made with} */
    public LoraConfig config() {
        return config;
    }

    /** {@return the model shape this adapter was laid out for} */
    public ModelConfig model() {
        return model;
    }

    /** {@return every parameter, in layout order, as one segment of little-endian floats (valid until close)} */
    public MemorySegment slab() {
        return slab;
    }

    /**
     * {@return the floats an adapter of this config takes on this model, without making it}
     *
     * @param model  the model's shape
     * @param config rank and targets; targets the model fuses are mapped as {@link LoraTarget#forModel} says
     */
    public static long parameterCount(ModelConfig model, LoraConfig config) {
        long floats = 0;
        for (LoraTarget t : LoraTarget.forModel(config.targets(), model.features())) {
            int[] io = shape(model, t);
            floats += (long) config.rank() * (io[0] + io[1]);
        }
        return floats * model.layers();
    }

    /** {@return the number of floats in the slab} */
    public long parameterCount() {
        return slab.byteSize() / Float.BYTES;
    }

    /**
     * The pair for a layer's projection.
     *
     * @param layer the layer, from 0
     * @param t     the projection
     * @return its pair (slices of the slab), or null when it is not adapted
     */
    public LoraPair get(int layer, LoraTarget t) {
        Map<LoraTarget, LoraPair> m = layers.get(layer);
        return m == null ? null : m.get(t);
    }

    /** {@return every adapted projection by layer, in layout order; the internal map, not to be modified} */
    public Map<Integer, Map<LoraTarget, LoraPair>> layers() {
        return layers;
    }

    /** {@return the pairs keyed by the base tensor they adapt ("blk.3.attn_q.weight"), in layout order, for export} */
    public Map<String, LoraPair> byTensorName() {
        Map<String, LoraPair> out = new LinkedHashMap<>();
        layers.forEach((layer, pairs) -> pairs.forEach((t, p) -> out.put("blk." + layer + "." + t.tensor() + ".weight", p)));
        return out;
    }

    /** Sets every value to zero (clearing gradients between steps). */
    public void clear() {
        slab.fill((byte) 0);
    }

    /**
     * Copies every value of another buffer of the same layout.
     *
     * @param other a buffer of this layout (e.g. from {@link #zerosLike()})
     * @throws IllegalArgumentException if its size differs
     */
    public void copyFrom(LoraWeights other) {
        if (other.slab.byteSize() != slab.byteSize()) throw new IllegalArgumentException("LoRA layouts differ");
        slab.copyFrom(other.slab);
    }

    /** Frees the slab; every segment of this adapter is unusable after. */
    @Override
    public void close() {
        arena.close();
    }
}
