package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

/**
 * The integer codes of one quantized block, apart from its scales: every value decodes as
 * {@code y_i = step_i · q_i + offset_i} with {@code q_i} in [{@link #min()}, {@link #max()}],
 * where step and offset come from the block's scale bytes (d, the min, the K-quants' sub-block
 * scales). It exists so that a merge can move codes under the base's own scales and write the
 * block back with its scale bytes untouched: the encoder half of the block formats whose
 * decoders are {@link BlockDecoder}s. Layouts follow ggml's block structs (ggml-common.h).
 */
public interface BlockCodes {
    GgmlType type();

    /** The smallest and largest code a value may take. */
    int min();

    int max();

    /** Reads the block at {@code off}: its codes into q, each value's step and offset (y = step·q + offset). */
    void unpack(byte[] s, int off, int[] q, float[] step, float[] offset);

    /** Writes codes q (each within [min, max]) into the block at {@code off}; the scale bytes are left as they are. */
    void pack(int[] q, byte[] s, int off);

    /** The codes of a type, or null for the types jdpo has no encoder for. */
    static BlockCodes of(GgmlType type) {
        return switch (type) {
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 -> new LegacyCodes(type);
            case Q4_K, Q5_K -> new Q45KCodes(type == GgmlType.Q5_K);
            case Q6_K -> new Q6KCodes();
            default -> null;
        };
    }
}
