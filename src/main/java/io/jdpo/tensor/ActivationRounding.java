package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

/**
 * Rounds activations the way llama.cpp's CPU backend does before multiplying them with
 * half-precision weights: to F16 for F16 weights, to BF16 (round to nearest even) for BF16.
 * Other types take the activations as they are (llama.cpp quantizes them to 8 bits there;
 * jdpo keeps floats, the better input for training).
 */
final class ActivationRounding {
    private ActivationRounding() {
    }

    /**
     * The first n activations as the product with {@code weights} sees them: rounded into
     * {@code out} (at least n long) for F16 and BF16, else x itself.
     */
    static float[] forWeights(GgmlType weights, float[] x, int n, float[] out) {
        switch (weights) {
            case F16 -> {
                for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
                return out;
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) out[i] = toBf16(x[i]);
                return out;
            }
            default -> {
                return x;
            }
        }
    }

    /** ggml_compute_fp32_to_bf16: round to nearest even on the top 16 bits; NaN kept quiet. */
    static float toBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return Float.intBitsToFloat((u | 0x00400000) & 0xffff0000);
        u = (u + (0x7fff + ((u >>> 16) & 1))) & 0xffff0000;
        return Float.intBitsToFloat(u);
    }
}
