package io.jdpo.model;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The projections a LoRA adapter can adapt, named by their GGUF tensor ({@code blk.N.<name>.weight}). */
public enum LoraTarget {
    /** The query projection, {@code attn_q}. */
    ATTN_Q,
    /** The key projection, {@code attn_k}. */
    ATTN_K,
    /** The value projection, {@code attn_v}. */
    ATTN_V,
    /** The fused Q/K/V projection of Phi-3: one adapter pair over all its rows, as llama.cpp applies it. */
    ATTN_QKV,
    /** The attention's output projection, {@code attn_output}. */
    ATTN_OUTPUT,
    /** The MLP's gate projection, {@code ffn_gate}. */
    FFN_GATE,
    /** The up projection; on Phi-3 the fused gate-and-up matrix, adapted as one. */
    FFN_UP,
    /** The MLP's down projection, {@code ffn_down}. */
    FFN_DOWN;

    /** {@return the tensor name part: "attn_q", "ffn_down", ...} */
    public String tensor() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@return every attention and MLP projection, the default (a new, modifiable set)} */
    public static Set<LoraTarget> all() {
        return EnumSet.allOf(LoraTarget.class);
    }

    /**
     * The targets a model actually has for a requested set: on a model with a fused
     * {@code attn_qkv}, asking for any of attn_q/attn_k/attn_v adapts attn_qkv (and attn_qkv
     * on a model with separate matrices adapts all three); on a fused gate/up model, ffn_gate
     * adapts the fused ffn_up. The result is what an adapter for that model holds.
     *
     * @param requested the targets asked for
     * @param f         the model's features (whether it fuses Q/K/V and gate/up)
     * @return a new set of the targets the model's tensors have
     */
    public static Set<LoraTarget> forModel(Set<LoraTarget> requested, ArchFeatures f) {
        Set<LoraTarget> out = EnumSet.noneOf(LoraTarget.class);
        for (LoraTarget t : requested) {
            switch (t) {
                case ATTN_Q, ATTN_K, ATTN_V -> out.add(f.fusedQkv() ? ATTN_QKV : t);
                case ATTN_QKV -> {
                    if (f.fusedQkv()) out.add(ATTN_QKV);
                    else out.addAll(EnumSet.of(ATTN_Q, ATTN_K, ATTN_V));
                }
                case FFN_GATE -> out.add(f.fusedGateUp() ? FFN_UP : FFN_GATE);
                default -> out.add(t);
            }
        }
        return out;
    }

    /**
     * A target by its tensor name part.
     *
     * @param name e.g. "attn_q" or "FFN_DOWN" (case-insensitive)
     * @return the target
     * @throws IllegalArgumentException listing the valid names when {@code name} is none of them
     */
    public static LoraTarget parse(String name) {
        for (LoraTarget t : values()) {
            if (t.tensor().equals(name.toLowerCase(Locale.ROOT))) return t;
        }
        throw new IllegalArgumentException("unknown LoRA target '" + name + "'; valid: attn_q, attn_k, attn_v, attn_qkv, attn_output, ffn_gate, ffn_up, ffn_down");
    }
}
