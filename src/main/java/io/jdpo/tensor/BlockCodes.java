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
    /** {@return the block type these codes belong to; one block holds {@code type().blockSize()} values} */
    GgmlType type();

    /** {@return the smallest code a value may take (-128 for Q8_0, 0 for the 4- to 6-bit types)} */
    int min();

    /** {@return the largest code a value may take (15 for the 4-bit types, 31 for the 5-bit ones, 63 for Q6_K, 127 for Q8_0)} */
    int max();

    /**
     * Reads the block at {@code off}: its codes into q, each value's step and offset (y = step·q + offset).
     *
     * @param s      the bytes holding the block, in the file's layout
     * @param off    index in {@code s} of the block's first byte
     * @param q      receives the block's codes, one per value ({@code type().blockSize()} entries from 0)
     * @param step   receives each value's step, same indexing as q
     * @param offset receives each value's offset, same indexing as q
     */
    void unpack(byte[] s, int off, int[] q, float[] step, float[] offset);

    /**
     * Writes codes q (each within [min, max]) into the block at {@code off}; the scale bytes are left as they are.
     *
     * @param q   the block's codes, one per value; not checked: a code outside [min, max] is wrapped or spoils its neighbours' bits
     * @param s   the bytes holding the block; its code bytes are overwritten in place
     * @param off index in {@code s} of the block's first byte
     */
    void pack(int[] q, byte[] s, int off);

    /**
     * The codes of a type, or null for the types jdpo has no encoder for.
     *
     * @param type a ggml block type
     * @return the codes of Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K or Q6_K; null for any other type
     */
    static BlockCodes of(GgmlType type) {
        return switch (type) {
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 -> new LegacyCodes(type);
            case Q4_K, Q5_K -> new Q45KCodes(type == GgmlType.Q5_K);
            case Q6_K -> new Q6KCodes();
            default -> null;
        };
    }
}
