package io.jdpo.llama;

/**
 * The whole-model quantization targets of llama.cpp (enum llama_ftype), named as
 * llama-quantize names them. Mixed types such as Q4_K_M keep sensitive tensors at
 * higher precision.
 */
public enum FileType {
    /** Every tensor in F32 (32 bits per weight). */
    F32(0),
    /** F16 weights; 1-D tensors (norms) stay F32. */
    F16(1),
    /** 4-bit blocks of 32 weights with one F16 scale (4.5 bits per weight). */
    Q4_0(2),
    /** 4-bit blocks of 32 with an F16 scale and minimum (5 bits per weight). */
    Q4_1(3),
    /** 8-bit blocks of 32 with one F16 scale (8.5 bits per weight); nearly lossless. */
    Q8_0(7),
    /** 5-bit blocks of 32 with one F16 scale (5.5 bits per weight). */
    Q5_0(8),
    /** 5-bit blocks of 32 with an F16 scale and minimum (6 bits per weight). */
    Q5_1(9),
    /** 2-bit k-quant mix; the smallest k-quant, with a large quality loss. */
    Q2_K(10),
    /** 3-bit k-quants for nearly every tensor (the small Q3_K mix). */
    Q3_K_S(11),
    /** Q3_K mix keeping more tensors at higher precision than Q3_K_S. */
    Q3_K_M(12),
    /** Q3_K mix keeping more tensors at higher precision than Q3_K_M. */
    Q3_K_L(13),
    /** 4-bit k-quants for nearly every tensor (the small Q4_K mix). */
    Q4_K_S(14),
    /** Q4_K mix keeping some attention and feed-forward tensors at Q6_K; a common default. */
    Q4_K_M(15),
    /** 5-bit k-quants for nearly every tensor (the small Q5_K mix). */
    Q5_K_S(16),
    /** Q5_K mix keeping some attention and feed-forward tensors at Q6_K. */
    Q5_K_M(17),
    /** 6-bit k-quants (about 6.6 bits per weight). */
    Q6_K(18),
    /** i-quant, about 2.06 bits per weight: llama.cpp refuses it without an importance matrix. */
    IQ2_XXS(19),
    /** i-quant, about 2.31 bits per weight: llama.cpp refuses it without an importance matrix. */
    IQ2_XS(20),
    /** Q2_K mix with fewer higher-precision tensors than Q2_K: llama.cpp refuses it without an importance matrix. */
    Q2_K_S(21),
    /** i-quant, about 3.3 bits per weight. */
    IQ3_XS(22),
    /** i-quant, about 3.06 bits per weight: llama.cpp refuses it without an importance matrix. */
    IQ3_XXS(23),
    /** i-quant, about 1.56 bits per weight: llama.cpp refuses it without an importance matrix. */
    IQ1_S(24),
    /** Non-linear 4-bit blocks of 32 (4.5 bits per weight). */
    IQ4_NL(25),
    /** i-quant, about 3.44 bits per weight. */
    IQ3_S(26),
    /** i-quant mix, about 3.66 bits per weight. */
    IQ3_M(27),
    /** i-quant, about 2.5 bits per weight: llama.cpp refuses it without an importance matrix. */
    IQ2_S(28),
    /** i-quant, about 2.7 bits per weight. */
    IQ2_M(29),
    /** Non-linear 4-bit super-blocks of 256 (4.25 bits per weight). */
    IQ4_XS(30),
    /** i-quant, about 1.75 bits per weight: llama.cpp refuses it without an importance matrix. */
    IQ1_M(31),
    /** bfloat16 weights; 1-D tensors stay F32. */
    BF16(32),
    /** Ternary weights, about 1.69 bits per weight (for models trained ternary). */
    TQ1_0(36),
    /** Ternary weights, about 2.06 bits per weight (for models trained ternary). */
    TQ2_0(37);

    final int id;

    FileType(int id) {
        this.id = id;
    }

    /**
     * Looks up a file type by its llama_ftype id, as stored in a GGUF's {@code general.file_type}.
     *
     * @param id the llama_ftype value
     * @return the matching type, or null when no constant has that id (including ids llama.cpp
     *         removed or added after this enum)
     */
    public static FileType byId(long id) {
        for (FileType t : values()) if (t.id == id) return t;
        return null;
    }

    /**
     * Looks up a file type by its llama-quantize name, ignoring case ("q4_k_m").
     *
     * @param name the type's name
     * @return the matching type
     * @throws IllegalArgumentException if no type has that name; the message lists the valid names
     */
    public static FileType parse(String name) {
        for (FileType t : values()) {
            if (t.name().equalsIgnoreCase(name)) return t;
        }
        throw new IllegalArgumentException("unknown quantization type '" + name + "'; valid: "
                + java.util.Arrays.toString(values()));
    }
}
