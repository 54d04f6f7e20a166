package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

/**
 * block_q2_K (84 bytes, 256 values): 16 scale bytes (low nibble scale, high nibble min),
 * 64 bytes of 2-bit values, f16 d, f16 dmin. Sixteen runs of 16: y = d*sc * q - dmin*m.
 */
final class Q2KBlock implements BlockDecoder {
    public GgmlType type() { return GgmlType.Q2_K; }

    /** The 256 two-bit values of a block in output order. */
    static void unpack(byte[] s, int so, byte[] q) {
        int o = 0;
        for (int half = 0; half < 2; half++) {
            int qs = so + 16 + 32 * half;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int l = 0; l < 16; l++) q[o++] = (byte) ((s[qs + l] & 0xFF) >>> shift & 3);
                for (int l = 0; l < 16; l++) q[o++] = (byte) ((s[qs + 16 + l] & 0xFF) >>> shift & 3);
            }
        }
    }

    public void scalar(byte[] s, int so, float[] y, int yo, int blocks) {
        byte[] q = new byte[256];
        for (int b = 0; b < blocks; b++, so += 84, yo += 256) {
            unpack(s, so, q);
            float d = Bytes.f16(s, so + 80), min = Bytes.f16(s, so + 82);
            for (int r = 0; r < 16; r++) {
                int sc = s[so + r] & 0xFF;
                float dl = d * (sc & 0xF), ml = min * (sc >>> 4);
                for (int l = 0; l < 16; l++) y[yo + 16 * r + l] = dl * q[16 * r + l] - ml;
            }
        }
    }

    public void vector(byte[] s, int so, float[] y, int yo, int blocks) {
        byte[] q = new byte[256];
        for (int b = 0; b < blocks; b++, so += 84, yo += 256) {
            unpack(s, so, q);
            float d = Bytes.f16(s, so + 80), min = Bytes.f16(s, so + 82);
            for (int r = 0; r < 16; r++) {
                int sc = s[so + r] & 0xFF;
                VectorOps.scaleAdd(q, 16 * r, y, yo + 16 * r, 16, d * (sc & 0xF), -(min * (sc >>> 4)));
            }
        }
    }
}
