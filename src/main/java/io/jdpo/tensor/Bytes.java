package io.jdpo.tensor;

/** Little-endian reads from block bytes, the way ggml lays its structs out on x86 and ARM. */
final class Bytes {
    private Bytes() {
    }

    static int u8(byte[] b, int off) {
        return b[off] & 0xFF;
    }

    static int u16(byte[] b, int off) {
        return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8;
    }

    static int i32(byte[] b, int off) {
        return u16(b, off) | u16(b, off + 2) << 16;
    }

    /** An IEEE half (ggml_half) widened exactly to float. */
    static float f16(byte[] b, int off) {
        return Float.float16ToFloat((short) u16(b, off));
    }
}
