package io.jdpo.tensor;

import java.util.Locale;

/**
 * How a product with a quantized weight treats its activations.
 * <ul>
 * <li>{@link #DEPLOYED}: as llama.cpp's CPU backend does, where the trained model will run:
 * activations rounded to the weight type's {@code vec_dot_type}: 8-bit blocks for the
 * quantized types (see {@link ActivationQuantizer}), F16 or BF16 for those types, so the Java forward scores what llama.cpp scores. The
 * default for training and parity.</li>
 * <li>{@link #FLOAT}: activations kept as floats, the exact product with the file's
 * weights (what llama.cpp computes on an F32 copy of them).</li>
 * </ul>
 * F32 weights take activations as they are in both. The backward is the same in both: gradients pass straight
 * through the rounding (the straight-through estimator of quantization-aware training).
 */
public enum Arithmetic {
    /** Activations rounded as llama.cpp's CPU backend rounds them (the default). */
    DEPLOYED,
    /** Activations kept as floats: the exact product with the file's weights. */
    FLOAT;

    /**
     * Reads the CLI's spelling of a mode, case-insensitively.
     *
     * @param s "deployed" or "float", in any case
     * @return the mode
     * @throws IllegalArgumentException naming the accepted values when {@code s} is neither
     */
    public static Arithmetic parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("arithmetic must be 'deployed' or 'float', not '" + s + "'");
        }
    }

    /** {@return the lower-case name, the spelling {@link #parse} accepts and the CLI prints} */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
