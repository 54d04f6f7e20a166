package io.jdpo.model;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One layer's intermediate values over T tokens. Every forward computes each layer in one set
 * of these arrays; a training forward stores what the backward pass reads off the heap after
 * each layer ({@link KeptActivations}): the layer's input and mid-residual, Q/K/V (before and
 * after their norms), the attention output, the MLP's gate and up, and A·x of every adapted
 * projection; the rest of what the backward reads is made again from those ({@link #kept}).
 */
final class LayerActivations {
    final float[] xIn, xMid;
    final float[] h1, q, k, v, att;
    /** Q and K before their per-head RMS norms (Qwen3), kept for that norm's backward. */
    final float[] qPre, kPre;
    final float[] h2, g, u, act;
    /** The fused Q/K/V and gate/up products (Phi-3), split into q/k/v and g/u; null otherwise. */
    final float[] qkv, gu;
    /** The attention and MLP outputs before their post-norms (Gemma), kept for the backward; null otherwise. */
    final float[] oAtt, oFfn;
    final Map<LoraTarget, float[]> ax = new EnumMap<>(LoraTarget.class);
    /** The LoRA dropout these activations were computed with (training forwards), or null. */
    Dropout dropout;

    /** The most rows these buffers hold; a pass may use fewer. */
    final int capacity;
    final LoraConfig lora;

    LayerActivations(int T, ModelConfig c, LoraConfig lora, boolean forBackward) {
        this.capacity = T;
        this.lora = lora;
        int d = c.dim();
        this.xIn = forBackward ? new float[T * d] : null;
        this.xMid = forBackward ? new float[T * d] : null;
        this.h1 = new float[T * d];
        this.q = new float[T * c.qDim()];
        this.k = new float[T * c.kvDim()];
        this.v = new float[T * c.kvDim()];
        this.att = new float[T * c.qDim()];
        ArchFeatures f = c.features();
        boolean qkNorm = forBackward && f.qkNorm();
        this.qPre = qkNorm ? new float[T * c.qDim()] : null;
        this.kPre = qkNorm ? new float[T * c.kvDim()] : null;
        this.h2 = new float[T * d];
        this.g = new float[T * c.ffn()];
        this.u = new float[T * c.ffn()];
        // Inference computes silu(g)·u in place over g: nothing reads g afterwards.
        this.act = forBackward ? new float[T * c.ffn()] : g;
        this.qkv = f.fusedQkv() ? new float[T * (c.qDim() + 2 * c.kvDim())] : null;
        this.gu = f.fusedGateUp() ? new float[T * 2 * c.ffn()] : null;
        this.oAtt = forBackward && f.postNorms() ? new float[T * d] : null;
        this.oFfn = forBackward && f.postNorms() ? new float[T * d] : null;
        if (lora != null) {
            for (LoraTarget t : LoraTarget.forModel(lora.targets(), f)) ax.put(t, new float[T * lora.rank()]);
        }
    }

    /**
     * The arrays a training forward keeps for the backward, in a fixed order: the block's input
     * and mid-residual, Q/K/V (and Q/K before their norms), the attention output, the MLP's gate
     * and up, the outputs before post-norms, and A·x of every adapted projection. Left out: the
     * projections' normalised inputs and the MLP's product, which {@link DecoderBlock#restore}
     * makes again from the kept ones when a layer is loaded (a third of a layer's floats, for
     * two norms and an activation), and the fused Q/K/V and gate/up products, whose split parts
     * the backward reads. Each array holds {@link #capacity} rows; its row width is its length
     * over that.
     */
    List<float[]> kept() {
        List<float[]> out = new ArrayList<>();
        for (float[] x : new float[][]{xIn, xMid, q, k, v, att, qPre, kPre, g, u, oAtt, oFfn}) {
            if (x != null) out.add(x);
        }
        out.addAll(ax.values());
        return out;
    }

    /**
     * The floats a row of {@link #kept} takes for this model and adapter, without making the
     * arrays: what a training run's kept activations will need is known before any work.
     */
    static long keptRowFloats(ModelConfig c, LoraConfig lora) {
        ArchFeatures f = c.features();
        long w = 2L * c.dim() + 2L * c.qDim() + 2L * c.kvDim() + 2L * c.ffn();
        if (f.qkNorm()) w += c.qDim() + c.kvDim();
        if (f.postNorms()) w += 2L * c.dim();
        if (lora != null) w += (long) lora.rank() * LoraTarget.forModel(lora.targets(), f).size();
        return w;
    }

    /** {@return whether these buffers hold T rows of a training forward for this adapter config} */
    boolean fits(int T, LoraConfig lora) {
        return capacity >= T && Objects.equals(this.lora, lora);
    }
}
