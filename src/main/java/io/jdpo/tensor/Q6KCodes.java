package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

/**
 * Codes of block_q6_K {ql[128]; qh[64]; int8 scales[16]; d}: sixteen runs of 16 values,
 * y = d·sc_r·(q − 32). Each half h of 128 values uses ql[64h..64h+64) and qh[32h..32h+32):
 * for l &lt; 32, value 128h+l is ql[l]'s low nibble with qh[l] bits 0-1, +32 is ql[l+32]'s low
 * nibble with bits 2-3, +64 is ql[l]'s high nibble with bits 4-5, +96 is ql[l+32]'s high
 * nibble with bits 6-7.
 */
final class Q6KCodes implements BlockCodes {
    public GgmlType type() { return GgmlType.Q6_K; }

    public int min() { return 0; }

    public int max() { return 63; }

    public void unpack(byte[] s, int off, int[] q, float[] step, float[] offset) {
        float d = Bytes.f16(s, off + 208);
        for (int r = 0; r < 16; r++) {
            float st = d * s[off + 192 + r];
            for (int l = 0; l < 16; l++) {
                step[16 * r + l] = st;
                offset[16 * r + l] = -32 * st;
            }
        }
        for (int h = 0; h < 2; h++) {
            int ql = off + 64 * h, qh = off + 128 + 32 * h, n = 128 * h;
            for (int l = 0; l < 32; l++) {
                int a = s[ql + l] & 0xFF, b = s[ql + l + 32] & 0xFF, c = s[qh + l] & 0xFF;
                q[n + l] = (a & 0xF) | (c & 3) << 4;
                q[n + l + 32] = (b & 0xF) | (c >>> 2 & 3) << 4;
                q[n + l + 64] = (a >>> 4) | (c >>> 4 & 3) << 4;
                q[n + l + 96] = (b >>> 4) | (c >>> 6 & 3) << 4;
            }
        }
    }

    public void pack(int[] q, byte[] s, int off) {
        for (int h = 0; h < 2; h++) {
            int ql = off + 64 * h, qh = off + 128 + 32 * h, n = 128 * h;
            for (int l = 0; l < 32; l++) {
                int v0 = q[n + l], v1 = q[n + l + 32], v2 = q[n + l + 64], v3 = q[n + l + 96];
                s[ql + l] = (byte) ((v0 & 0xF) | (v2 & 0xF) << 4);
                s[ql + l + 32] = (byte) ((v1 & 0xF) | (v3 & 0xF) << 4);
                s[qh + l] = (byte) ((v0 >>> 4) | (v1 >>> 4) << 2 | (v2 >>> 4) << 4 | (v3 >>> 4) << 6);
            }
        }
    }
}
