package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

/** block_q8_0 (34 bytes, 32 values): f16 d, 32 signed bytes; y = q * d. */
final class Q8_0Block implements BlockDecoder {
    public GgmlType type() { return GgmlType.Q8_0; }

    public void scalar(byte[] s, int so, float[] y, int yo, int blocks) {
        for (int b = 0; b < blocks; b++, so += 34, yo += 32) {
            float d = Bytes.f16(s, so);
            for (int j = 0; j < 32; j++) y[yo + j] = s[so + 2 + j] * d;
        }
    }

    public void vector(byte[] s, int so, float[] y, int yo, int blocks) {
        for (int b = 0; b < blocks; b++, so += 34, yo += 32) {
            VectorOps.scale(s, so + 2, y, yo, 32, Bytes.f16(s, so));
        }
    }
}
