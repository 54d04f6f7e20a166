package io.jdpo.model;

/**
 * GELU with the tanh approximation, as ggml's CPU backend computes it inside Gemma's gated
 * MLP (ggml_vec_geglu_f32 with GGML_GELU_FP16): the input rounded to F16, looked up in a
 * table of F16 results of 0.5·x·(1 + tanh(√(2/π)·x·(1 + 0.044715·x²))), and the table's F16
 * value widened back; inputs at or below −10 give 0 and at or above 10 pass through. The
 * backward uses the derivative of the smooth function, passing gradients straight through
 * both roundings as it does through the quantized products.
 */
final class Gelu {
    private static final float SQRT_2_OVER_PI = 0.79788456080286535587989211986876f;
    private static final float COEF_A = 0.044715f;
    /** gelu of every F16 value, by its bits, as F16 bits widened to float. */
    private static final float[] TABLE = new float[1 << 16];

    static {
        for (int h = 0; h < TABLE.length; h++) {
            float x = Float.float16ToFloat((short) h);
            TABLE[h] = Float.float16ToFloat(Float.floatToFloat16(exact(x)));
        }
    }

    private Gelu() {
    }

    /**
     * ggml_gelu_f32: the smooth function in float arithmetic. The compiler contracts ggml's
     * {@code 1.0f + GELU_COEF_A*x*x} into one fused multiply-add (GCC's default
     * -ffp-contract=fast with FMA in -march=native): computed unfused, one of the 65,536 table
     * entries came out one F16 step apart from the table libggml-cpu fills (GeluTest).
     */
    static float exact(float x) {
        return 0.5f * x * (1.0f + (float) Math.tanh(SQRT_2_OVER_PI * x * Math.fma(COEF_A * x, x, 1.0f)));
    }

    /** The table entry for the F16 value with these bits, widened to float. */
    static float tableEntry(short f16Bits) {
        return TABLE[f16Bits & 0xffff];
    }

    /** What llama.cpp's CPU backend computes for gelu(x). */
    static float apply(float x) {
        if (x <= -10.0f) return 0.0f;
        if (x >= 10.0f) return x;
        return TABLE[Float.floatToFloat16(x) & 0xffff];
    }

    /** d gelu / dx of the smooth function. */
    static float derivative(float x) {
        double u = SQRT_2_OVER_PI * x * (1 + COEF_A * x * x);
        double th = Math.tanh(u);
        double du = SQRT_2_OVER_PI * (1 + 3 * COEF_A * x * x);
        return (float) (0.5 * (1 + th) + 0.5 * x * (1 - th * th) * du);
    }
}
