package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

/**
 * Codes of the 32-value block types: block_q4_0 {d; qs[16]} y = (q−8)·d, block_q4_1 {d, m; qs[16]}
 * y = q·d + m, block_q5_0 {d; qh[4]; qs[16]} y = (q−16)·d, block_q5_1 {d, m; qh[4]; qs[16]}
 * y = q·d + m, block_q8_0 {d; int8 qs[32]} y = q·d. Nibble byte j holds value j (low) and
 * value j+16 (high); bit j of the qh word is value j's fifth bit.
 */
final class LegacyCodes implements BlockCodes {
    private final GgmlType type;
    private final boolean withMin, five, eight;

    LegacyCodes(GgmlType type) {
        this.type = type;
        this.withMin = type == GgmlType.Q4_1 || type == GgmlType.Q5_1;
        this.five = type == GgmlType.Q5_0 || type == GgmlType.Q5_1;
        this.eight = type == GgmlType.Q8_0;
    }

    public GgmlType type() { return type; }

    public int min() { return eight ? -128 : 0; }

    public int max() { return eight ? 127 : five ? 31 : 15; }

    /** Where the code bytes start: after d (and m), and the fifth-bit word. */
    private int codes() { return 2 + (withMin ? 2 : 0) + (five ? 4 : 0); }

    public void unpack(byte[] s, int off, int[] q, float[] step, float[] offset) {
        float d = Bytes.f16(s, off);
        float o = withMin ? Bytes.f16(s, off + 2) : eight ? 0 : five ? -16 * d : -8 * d;
        int c = off + codes();
        if (eight) {
            for (int j = 0; j < 32; j++) q[j] = s[c + j];
        } else {
            int qh = five ? Bytes.i32(s, c - 4) : 0;
            for (int j = 0; j < 16; j++) {
                int b = s[c + j] & 0xFF;
                q[j] = (b & 0xF) | (qh >>> j & 1) << 4;
                q[j + 16] = (b >>> 4) | (qh >>> (j + 16) & 1) << 4;
            }
        }
        for (int j = 0; j < 32; j++) {
            step[j] = d;
            offset[j] = o;
        }
    }

    public void pack(int[] q, byte[] s, int off) {
        int c = off + codes();
        if (eight) {
            for (int j = 0; j < 32; j++) s[c + j] = (byte) q[j];
            return;
        }
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            s[c + j] = (byte) ((q[j] & 0xF) | (q[j + 16] & 0xF) << 4);
            qh |= (q[j] >>> 4 & 1) << j | (q[j + 16] >>> 4 & 1) << (j + 16);
        }
        if (five) {
            for (int k = 0; k < 4; k++) s[c - 4 + k] = (byte) (qh >>> (8 * k));
        }
    }
}
