package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

/**
 * block_q3_K (110 bytes, 256 values): 32 bytes of high bits, 64 bytes of low 2 bits,
 * 12 bytes of 6-bit scales, f16 d. A value is (low | high &lt;&lt; 2) - 4; y = d*(sc - 32) * q.
 */
final class Q3KBlock implements BlockDecoder {
    public GgmlType type() { return GgmlType.Q3_K; }

    /** The 16 signed 6-bit scales, unpacked from their 12-byte layout (ggml's kmask shuffle). */
    static void scales(byte[] s, int off, int[] out) {
        int a0 = Bytes.i32(s, off), a1 = Bytes.i32(s, off + 4), tmp = Bytes.i32(s, off + 8);
        int k1 = 0x03030303, k2 = 0x0f0f0f0f;
        int[] aux = {
                (a0 & k2) | (((tmp) & k1) << 4),
                (a1 & k2) | (((tmp >>> 2) & k1) << 4),
                ((a0 >>> 4) & k2) | (((tmp >>> 4) & k1) << 4),
                ((a1 >>> 4) & k2) | (((tmp >>> 6) & k1) << 4)};
        for (int i = 0; i < 16; i++) out[i] = (byte) (aux[i / 4] >>> (8 * (i % 4)));
    }

    static void unpack(byte[] s, int so, byte[] q) {
        int o = 0, m = 1;
        for (int half = 0; half < 2; half++) {
            int qs = so + 32 + 32 * half;
            for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
                for (int l = 0; l < 32; l++) {
                    int low = (s[qs + l] & 0xFF) >>> shift & 3;
                    q[o++] = (byte) (low - ((s[so + l] & m) != 0 ? 0 : 4));
                }
            }
        }
    }

    public void scalar(byte[] s, int so, float[] y, int yo, int blocks) {
        byte[] q = new byte[256];
        int[] sc = new int[16];
        for (int b = 0; b < blocks; b++, so += 110, yo += 256) {
            unpack(s, so, q);
            scales(s, so + 96, sc);
            float d = Bytes.f16(s, so + 108);
            for (int r = 0; r < 16; r++) {
                float dl = d * (sc[r] - 32);
                for (int l = 0; l < 16; l++) y[yo + 16 * r + l] = dl * q[16 * r + l];
            }
        }
    }

    public void vector(byte[] s, int so, float[] y, int yo, int blocks) {
        byte[] q = new byte[256];
        int[] sc = new int[16];
        for (int b = 0; b < blocks; b++, so += 110, yo += 256) {
            unpack(s, so, q);
            scales(s, so + 96, sc);
            float d = Bytes.f16(s, so + 108);
            for (int r = 0; r < 16; r++) VectorOps.scale(q, 16 * r, y, yo + 16 * r, 16, d * (sc[r] - 32));
        }
    }
}
