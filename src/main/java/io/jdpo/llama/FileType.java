package io.jdpo.llama;

/**
 * The whole-model quantization targets of llama.cpp (enum llama_ftype), named as
 * llama-quantize names them. Mixed types such as Q4_K_M keep sensitive tensors at
 * higher precision.
 */
public enum FileType {
    F32(0), F16(1), Q4_0(2), Q4_1(3), Q8_0(7), Q5_0(8), Q5_1(9), Q2_K(10), Q3_K_S(11), Q3_K_M(12), Q3_K_L(13),
    Q4_K_S(14), Q4_K_M(15), Q5_K_S(16), Q5_K_M(17), Q6_K(18), IQ2_XXS(19), IQ2_XS(20), Q2_K_S(21), IQ3_XS(22),
    IQ3_XXS(23), IQ1_S(24), IQ4_NL(25), IQ3_S(26), IQ3_M(27), IQ2_S(28), IQ2_M(29), IQ4_XS(30), IQ1_M(31), BF16(32),
    TQ1_0(36), TQ2_0(37);

    final int id;

    FileType(int id) {
        this.id = id;
    }

    /** The file type with llama_ftype id {@code id} (general.file_type), or null for none. */
    public static FileType byId(long id) {
        for (FileType t : values()) if (t.id == id) return t;
        return null;
    }

    /** Case-insensitive lookup by name ("q4_k_m"); the error lists the valid names. */
    public static FileType parse(String name) {
        for (FileType t : values()) {
            if (t.name().equalsIgnoreCase(name)) return t;
        }
        throw new IllegalArgumentException("unknown quantization type '" + name + "'; valid: "
                + java.util.Arrays.toString(values()));
    }
}
