package io.jdpo.gguf;

/**
 * The tensor types of the pinned ggml (enum ggml_type in ggml.h): id, name, values per block
 * and bytes per block. Ids 4, 5, 31-33 and 36-38 were removed from ggml and are absent.
 * A test holds this table to ggml's own type traits through the binding. Pure Java: usable
 * without llama.cpp loaded.
 */
public enum GgmlType {
    /** IEEE 32-bit float. */
    F32(0, "f32", 1, 4),
    /** IEEE 16-bit float. */
    F16(1, "f16", 1, 2),
    /** 4-bit values with one F16 scale per block. Blocks of 32 values in 18 bytes (4.5 bits per value). */
    Q4_0(2, "q4_0", 32, 18),
    /** 4-bit values with an F16 scale and minimum per block. Blocks of 32 values in 20 bytes (5 bits per value). */
    Q4_1(3, "q4_1", 32, 20),
    /** 5-bit values with one F16 scale per block. Blocks of 32 values in 22 bytes (5.5 bits per value). */
    Q5_0(6, "q5_0", 32, 22),
    /** 5-bit values with an F16 scale and minimum per block. Blocks of 32 values in 24 bytes (6 bits per value). */
    Q5_1(7, "q5_1", 32, 24),
    /** 8-bit values with one F16 scale per block. Blocks of 32 values in 34 bytes (8.5 bits per value). */
    Q8_0(8, "q8_0", 32, 34),
    /** 8-bit values with an F16 scale and the block's sum; ggml quantizes activations to it. Blocks of 32 values in 36 bytes (9 bits per value). */
    Q8_1(9, "q8_1", 32, 36),
    /** 2-bit k-quant: sub-block scales and minimums in 4 bits. Blocks of 256 values in 84 bytes (2.625 bits per value). */
    Q2_K(10, "q2_K", 256, 84),
    /** 3-bit k-quant with 6-bit sub-block scales. Blocks of 256 values in 110 bytes (3.4375 bits per value). */
    Q3_K(11, "q3_K", 256, 110),
    /** 4-bit k-quant with 6-bit sub-block scales and minimums. Blocks of 256 values in 144 bytes (4.5 bits per value). */
    Q4_K(12, "q4_K", 256, 144),
    /** 5-bit k-quant with 6-bit sub-block scales and minimums. Blocks of 256 values in 176 bytes (5.5 bits per value). */
    Q5_K(13, "q5_K", 256, 176),
    /** 6-bit k-quant with 8-bit sub-block scales. Blocks of 256 values in 210 bytes (6.5625 bits per value). */
    Q6_K(14, "q6_K", 256, 210),
    /** 8-bit k-quant with a float scale and sub-block sums; ggml quantizes activations to it for k-quant dot products (not a file type). Blocks of 256 values in 292 bytes (9.125 bits per value). */
    Q8_K(15, "q8_K", 256, 292),
    /** 2-bit i-quant (lattice codebook). Blocks of 256 values in 66 bytes (2.0625 bits per value). */
    IQ2_XXS(16, "iq2_xxs", 256, 66),
    /** 2-bit i-quant (lattice codebook). Blocks of 256 values in 74 bytes (2.3125 bits per value). */
    IQ2_XS(17, "iq2_xs", 256, 74),
    /** 3-bit i-quant (lattice codebook). Blocks of 256 values in 98 bytes (3.0625 bits per value). */
    IQ3_XXS(18, "iq3_xxs", 256, 98),
    /** 1-bit i-quant. Blocks of 256 values in 50 bytes (1.5625 bits per value). */
    IQ1_S(19, "iq1_s", 256, 50),
    /** 4-bit non-linear: indexes into a fixed 16-value table, one F16 scale per block. Blocks of 32 values in 18 bytes (4.5 bits per value). */
    IQ4_NL(20, "iq4_nl", 32, 18),
    /** 3-bit i-quant. Blocks of 256 values in 110 bytes (3.4375 bits per value). */
    IQ3_S(21, "iq3_s", 256, 110),
    /** 2-bit i-quant. Blocks of 256 values in 82 bytes (2.5625 bits per value). */
    IQ2_S(22, "iq2_s", 256, 82),
    /** 4-bit non-linear with 6-bit sub-block scales. Blocks of 256 values in 136 bytes (4.25 bits per value). */
    IQ4_XS(23, "iq4_xs", 256, 136),
    /** 8-bit signed integer. */
    I8(24, "i8", 1, 1),
    /** 16-bit signed integer. */
    I16(25, "i16", 1, 2),
    /** 32-bit signed integer. */
    I32(26, "i32", 1, 4),
    /** 64-bit signed integer. */
    I64(27, "i64", 1, 8),
    /** IEEE 64-bit float. */
    F64(28, "f64", 1, 8),
    /** 1-bit i-quant. Blocks of 256 values in 56 bytes (1.75 bits per value). */
    IQ1_M(29, "iq1_m", 256, 56),
    /** bfloat16: the top 16 bits of an F32. */
    BF16(30, "bf16", 1, 2),
    /** Ternary (-1, 0, 1) values, base-3 packed. Blocks of 256 values in 54 bytes (1.6875 bits per value). */
    TQ1_0(34, "tq1_0", 256, 54),
    /** Ternary (-1, 0, 1) values, 2 bits each. Blocks of 256 values in 66 bytes (2.0625 bits per value). */
    TQ2_0(35, "tq2_0", 256, 66),
    /** 4-bit floats (E2M1) with a shared 8-bit exponent (E8M0) per block (OCP microscaling). Blocks of 32 values in 17 bytes (4.25 bits per value). */
    MXFP4(39, "mxfp4", 32, 17),
    /** 4-bit floats (E2M1) with an FP8 (UE4M3) scale per 16 values. Blocks of 64 values in 36 bytes (4.5 bits per value). */
    NVFP4(40, "nvfp4", 64, 36),
    /** 1-bit values with one F16 scale per block. Blocks of 128 values in 18 bytes (1.125 bits per value). */
    Q1_0(41, "q1_0", 128, 18),
    /** 2-bit values with one F16 scale per block. Blocks of 64 values in 18 bytes (2.25 bits per value). */
    Q2_0(42, "q2_0", 64, 18);

    private static final GgmlType[] BY_ID = new GgmlType[43];

    static {
        for (GgmlType t : values()) BY_ID[t.id] = t;
    }

    private final int id;
    private final String ggmlName;
    private final int blockSize;
    private final int bytesPerBlock;

    GgmlType(int id, String ggmlName, int blockSize, int bytesPerBlock) {
        this.id = id;
        this.ggmlName = ggmlName;
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
    }

    /**
     * {@return the type, or null when ggml has none (removed or unknown)}
     *
     * @param id a ggml_type id, as stored in a GGUF tensor info
     */
    public static GgmlType byId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /**
     * Lookup by ggml's name ("q4_K") or the enum name ("Q4_K"), case-insensitive.
     *
     * @param name the name
     * @return the type
     * @throws IllegalArgumentException if no type has that name
     */
    public static GgmlType parse(String name) {
        for (GgmlType t : values()) {
            if (t.ggmlName.equalsIgnoreCase(name) || t.name().equalsIgnoreCase(name)) return t;
        }
        throw new IllegalArgumentException("unknown ggml type '" + name + "'");
    }

    /** {@return the ggml_type id, as stored in GGUF tensor infos} */
    public int id() {
        return id;
    }

    /** {@return ggml's name for the type, e.g. "q4_K"} */
    public String ggmlName() {
        return ggmlName;
    }

    /** {@return how many values one block holds: 1 for plain types, 32 to 256 for quantized ones} */
    public int blockSize() {
        return blockSize;
    }

    /** {@return the bytes one block takes} */
    public int bytesPerBlock() {
        return bytesPerBlock;
    }

    /** {@return true for block types (more than one value per block)} */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /**
     * {@return the bytes {@code n} values take}
     *
     * @param n a count of values, a whole number of blocks
     * @throws IllegalArgumentException if {@code n} is not a whole number of blocks
     * @throws ArithmeticException if the size overflows a long
     */
    public long bytesFor(long n) {
        if (n % blockSize != 0) {
            throw new IllegalArgumentException(n + " values are not a whole number of " + this + " blocks of " + blockSize);
        }
        return Math.multiplyExact(n / blockSize, (long) bytesPerBlock);
    }
}
