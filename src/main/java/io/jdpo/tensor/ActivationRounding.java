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

    /** {@return whether products with these weights round their activations here (F16, BF16)} */
    static boolean rounds(GgmlType weights) {
        return weights == GgmlType.F16 || weights == GgmlType.BF16;
    }

    /**
     * Activations x[from, to) as the product with {@code weights} sees them, into
     * out[from, to): rounded to F16 for F16 weights, to BF16 for BF16 weights.
     *
     * @throws IllegalArgumentException for weights that do not {@link #rounds round} here
     */
    static void forWeights(GgmlType weights, float[] x, int from, int to, float[] out) {
        switch (weights) {
            case F16 -> {
                for (int i = from; i < to; i++) out[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
            }
            case BF16 -> {
                for (int i = from; i < to; i++) out[i] = toBf16(x[i]);
            }
            default -> throw new IllegalArgumentException(weights + " weights take the activations as they are");
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
