package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

/** block_q4_1 (20 bytes, 32 values): f16 d, f16 m, 16 bytes of nibbles; y = q * d + m. */
final class Q4_1Block implements BlockDecoder {
    public GgmlType type() { return GgmlType.Q4_1; }

    public void scalar(byte[] s, int so, float[] y, int yo, int blocks) {
        for (int b = 0; b < blocks; b++, so += 20, yo += 32) {
            float d = Bytes.f16(s, so), m = Bytes.f16(s, so + 2);
            for (int j = 0; j < 16; j++) {
                int q = s[so + 4 + j] & 0xFF;
                y[yo + j] = (q & 0xF) * d + m;
                y[yo + j + 16] = (q >>> 4) * d + m;
            }
        }
    }

    public void vector(byte[] s, int so, float[] y, int yo, int blocks) {
        byte[] q = new byte[32];
        for (int b = 0; b < blocks; b++, so += 20, yo += 32) {
            Nibbles.vector(s, so + 4, 16, 0, q, 0);
            VectorOps.scaleAdd(q, 0, y, yo, 32, Bytes.f16(s, so), Bytes.f16(s, so + 2));
        }
    }
}
