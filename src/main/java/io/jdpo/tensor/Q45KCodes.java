package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

/**
 * Codes of block_q4_K {d, dmin; scales[12]; qs[128]} and block_q5_K {d, dmin; scales[12];
 * qh[32]; qs[128]}: eight runs of 32 values, run r decoding as y = d·sc_r·q − dmin·m_r.
 * Byte l of the 32-byte group g holds value 64g+l (low nibble) and 64g+32+l (high nibble);
 * for Q5_K, bit 2g of qh[l] is value 64g+l's fifth bit and bit 2g+1 that of 64g+32+l.
 */
final class Q45KCodes implements BlockCodes {
    private final boolean five;

    Q45KCodes(boolean five) {
        this.five = five;
    }

    public GgmlType type() { return five ? GgmlType.Q5_K : GgmlType.Q4_K; }

    public int min() { return 0; }

    public int max() { return five ? 31 : 15; }

    public void unpack(byte[] s, int off, int[] q, float[] step, float[] offset) {
        float d = Bytes.f16(s, off), dmin = Bytes.f16(s, off + 2);
        int[] sm = new int[2];
        for (int r = 0; r < 8; r++) {
            Q45KBlock.scaleMin(s, off + 4, r, sm);
            float st = d * sm[0], o = -dmin * sm[1];
            for (int l = 0; l < 32; l++) {
                step[32 * r + l] = st;
                offset[32 * r + l] = o;
            }
        }
        int qs = off + (five ? 48 : 16);
        for (int g = 0; g < 4; g++) {
            for (int l = 0; l < 32; l++) {
                int b = s[qs + 32 * g + l] & 0xFF;
                int h = five ? s[off + 16 + l] & 0xFF : 0;
                q[64 * g + l] = (b & 0xF) | (h >>> (2 * g) & 1) << 4;
                q[64 * g + 32 + l] = (b >>> 4) | (h >>> (2 * g + 1) & 1) << 4;
            }
        }
    }

    public void pack(int[] q, byte[] s, int off) {
        int qs = off + (five ? 48 : 16);
        int[] qh = new int[32];
        for (int g = 0; g < 4; g++) {
            for (int l = 0; l < 32; l++) {
                int lo = q[64 * g + l], hi = q[64 * g + 32 + l];
                s[qs + 32 * g + l] = (byte) ((lo & 0xF) | (hi & 0xF) << 4);
                qh[l] |= (lo >>> 4 & 1) << (2 * g) | (hi >>> 4 & 1) << (2 * g + 1);
            }
        }
        if (five) {
            for (int l = 0; l < 32; l++) s[off + 16 + l] = (byte) qh[l];
        }
    }
}
