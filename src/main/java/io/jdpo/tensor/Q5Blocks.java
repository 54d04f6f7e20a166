package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

/**
 * block_q5_0 (22 bytes: f16 d, u32 high bits, 16 bytes of nibbles; y = (q - 16) * d) and
 * block_q5_1 (24 bytes: f16 d, f16 m, u32 high bits, nibbles; y = q * d + m). Bit j of the
 * high word is the fifth bit of value j.
 */
final class Q5Blocks implements BlockDecoder {
    private final boolean withMin;

    Q5Blocks(boolean withMin) {
        this.withMin = withMin;
    }

    public GgmlType type() { return withMin ? GgmlType.Q5_1 : GgmlType.Q5_0; }

    private int size() { return withMin ? 24 : 22; }

    /** The 32 five-bit values of one block, minus the bias. */
    void unpack(byte[] s, int so, byte[] q) {
        int h = withMin ? 4 : 2;
        int qh = Bytes.i32(s, so + h);
        for (int j = 0; j < 16; j++) {
            int b = s[so + h + 4 + j] & 0xFF;
            int bias = withMin ? 0 : 16;
            q[j] = (byte) (((b & 0xF) | ((qh >>> j) << 4 & 0x10)) - bias);
            q[j + 16] = (byte) (((b >>> 4) | ((qh >>> (j + 12)) & 0x10)) - bias);
        }
    }

    public void scalar(byte[] s, int so, float[] y, int yo, int blocks) {
        byte[] q = new byte[32];
        for (int b = 0; b < blocks; b++, so += size(), yo += 32) {
            unpack(s, so, q);
            float d = Bytes.f16(s, so);
            if (withMin) {
                float m = Bytes.f16(s, so + 2);
                for (int j = 0; j < 32; j++) y[yo + j] = q[j] * d + m;
            } else {
                for (int j = 0; j < 32; j++) y[yo + j] = q[j] * d;
            }
        }
    }

    public void vector(byte[] s, int so, float[] y, int yo, int blocks) {
        byte[] q = new byte[32];
        for (int b = 0; b < blocks; b++, so += size(), yo += 32) {
            unpack(s, so, q);
            if (withMin) {
                VectorOps.scaleAdd(q, 0, y, yo, 32, Bytes.f16(s, so), Bytes.f16(s, so + 2));
            } else {
                VectorOps.scale(q, 0, y, yo, 32, Bytes.f16(s, so));
            }
        }
    }
}
