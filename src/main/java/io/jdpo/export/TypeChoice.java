package io.jdpo.export;

import io.jdpo.gguf.GgmlType;

/**
 * Which type a merged tensor can be written in. Rows that do not divide a type's block size
 * fall back the way llama-quantize does (tensor_type_fallback in llama-quant.cpp at the pinned
 * commit): the 256-value K-quants to a 32-value type (Q2_K, Q3_K → Q4_0, Q4_K → Q5_0,
 * Q5_K → Q5_1, Q6_K → Q8_0, the 256-value IQ types → IQ4_NL), and to F16 when that does not
 * divide either. {@link #upgrade} is the next type up that a tensor may be moved to when its
 * own type cannot carry the update ({@code --keep-update}).
 */
public final class TypeChoice {
    private TypeChoice() {
    }

    /**
     * The type a tensor is written in when {@code target} is asked for.
     *
     * @param target the type asked for
     * @param perRow values per row of the tensor
     * @return {@code target}, or what llama-quantize writes instead for rows of that length
     */
    public static GgmlType fallback(GgmlType target, long perRow) {
        if (perRow % target.blockSize() == 0) return target;
        GgmlType next = switch (target) {
            case IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ4_XS -> GgmlType.IQ4_NL;
            case Q2_0, Q2_K, Q3_K, TQ1_0, TQ2_0 -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> target;
        };
        return perRow % next.blockSize() == 0 ? next : GgmlType.F16;
    }

    /**
     * The next type carrying more of an update than {@code type}, after the fallback for the
     * row length; null at F16 and above (F16, BF16, F32 are not upgraded).
     *
     * @param type   the tensor's type now
     * @param perRow values per row of the tensor
     * @return the next type up, or null
     */
    public static GgmlType upgrade(GgmlType type, long perRow) {
        GgmlType next = switch (type) {
            case Q4_0 -> GgmlType.Q5_0;
            case Q4_1 -> GgmlType.Q5_1;
            case Q5_0, Q5_1, IQ4_NL -> GgmlType.Q8_0;
            case Q2_K, Q3_K -> GgmlType.Q4_K;
            case Q4_K, IQ4_XS -> GgmlType.Q5_K;
            case Q5_K -> GgmlType.Q6_K;
            case Q6_K -> GgmlType.Q8_0;
            case Q8_0 -> GgmlType.F16;
            case F16, BF16, F32 -> null;
            default -> GgmlType.Q8_0;
        };
        if (next == null) return null;
        GgmlType fitted = fallback(next, perRow);
        // The fallback for the row length can land back on the type we have: go one further.
        return fitted == type ? upgrade(fitted, perRow) : fitted;
    }
}
