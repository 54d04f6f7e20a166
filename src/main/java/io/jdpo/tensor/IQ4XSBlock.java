package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

/**
 * block_iq4_xs (136 bytes, 256 values): f16 d, u16 high scale bits, 4 bytes of low scale
 * nibbles, 128 bytes of table indices. Eight runs of 32: y = d*(ls - 32) * table[q].
 */
final class IQ4XSBlock implements BlockDecoder {
    public GgmlType type() { return GgmlType.IQ4_XS; }

    static int scale(byte[] s, int so, int ib) {
        int low = (s[so + 4 + ib / 2] & 0xFF) >>> (4 * (ib % 2)) & 0xF;
        int high = Bytes.u16(s, so + 2) >>> (2 * ib) & 3;
        return (low | high << 4) - 32;
    }

    public void scalar(byte[] s, int so, float[] y, int yo, int blocks) {
        for (int b = 0; b < blocks; b++, so += 136, yo += 256) {
            float d = Bytes.f16(s, so);
            for (int ib = 0; ib < 8; ib++) {
                float dl = d * scale(s, so, ib);
                int qs = so + 8 + 16 * ib, o = yo + 32 * ib;
                for (int j = 0; j < 16; j++) {
                    int q = s[qs + j] & 0xFF;
                    y[o + j] = dl * IQ4NLBlock.VALUES[q & 0xF];
                    y[o + j + 16] = dl * IQ4NLBlock.VALUES[q >>> 4];
                }
            }
        }
    }

    public void vector(byte[] s, int so, float[] y, int yo, int blocks) {
        byte[] q = new byte[32];
        for (int b = 0; b < blocks; b++, so += 136, yo += 256) {
            float d = Bytes.f16(s, so);
            for (int ib = 0; ib < 8; ib++) {
                IQ4NLBlock.lookup(s, so + 8 + 16 * ib, q, 0);
                VectorOps.scale(q, 0, y, yo + 32 * ib, 32, d * scale(s, so, ib));
            }
        }
    }
}
