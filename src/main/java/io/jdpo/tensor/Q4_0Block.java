package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

/** block_q4_0 (18 bytes, 32 values): f16 d, 16 bytes of nibbles; y = (q - 8) * d. */
final class Q4_0Block implements BlockDecoder {
    public GgmlType type() { return GgmlType.Q4_0; }

    public void scalar(byte[] s, int so, float[] y, int yo, int blocks) {
        for (int b = 0; b < blocks; b++, so += 18, yo += 32) {
            float d = Bytes.f16(s, so);
            for (int j = 0; j < 16; j++) {
                int q = s[so + 2 + j] & 0xFF;
                y[yo + j] = ((q & 0xF) - 8) * d;
                y[yo + j + 16] = ((q >>> 4) - 8) * d;
            }
        }
    }

    public void vector(byte[] s, int so, float[] y, int yo, int blocks) {
        byte[] q = new byte[32];
        for (int b = 0; b < blocks; b++, so += 18, yo += 32) {
            Nibbles.vector(s, so + 2, 16, 8, q, 0);
            VectorOps.scale(q, 0, y, yo, 32, Bytes.f16(s, so));
        }
    }
}
