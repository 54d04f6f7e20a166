package io.jdpo.model;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The projections a LoRA adapter can adapt, named by their GGUF tensor ({@code blk.N.<name>.weight}). */
public enum LoraTarget {
    ATTN_Q, ATTN_K, ATTN_V, ATTN_OUTPUT, FFN_GATE, FFN_UP, FFN_DOWN;

    /** The tensor name part: "attn_q", "ffn_down", ... */
    public String tensor() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Every attention and MLP projection: the default. */
    public static Set<LoraTarget> all() {
        return EnumSet.allOf(LoraTarget.class);
    }

    public static LoraTarget parse(String name) {
        for (LoraTarget t : values()) {
            if (t.tensor().equals(name.toLowerCase(Locale.ROOT))) return t;
        }
        throw new IllegalArgumentException("unknown LoRA target '" + name + "'; valid: attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down");
    }
}
