package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * block_q6_K (210 bytes, 256 values): 128 bytes of low nibbles, 64 bytes of high 2 bits,
 * 16 signed 8-bit scales, f16 d. Sixteen runs of 16: y = (d * sc) * (q - 32).
 */
final class Q6KBlock implements BlockDecoder {
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;

    public GgmlType type() { return GgmlType.Q6_K; }

    /** The block's 256 signed codes (q − 32) into q, sixteen bytes at a time when {@code vector}. */
    static void unpack(byte[] s, int so, byte[] q, boolean vector) {
        if (!vector) {
            unpack(s, so, q);
            return;
        }
        for (int half = 0; half < 2; half++) {
            int ql = so + 64 * half, qh = so + 128 + 32 * half, o = 128 * half;
            for (int l = 0; l < 32; l += 16) {
                ByteVector lo = ByteVector.fromArray(B16, s, ql + l), lo2 = ByteVector.fromArray(B16, s, ql + l + 32);
                ByteVector h = ByteVector.fromArray(B16, s, qh + l);
                lo.and((byte) 0xF).or(h.and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32).intoArray(q, o + l);
                lo2.and((byte) 0xF).or(h.lanewise(VectorOperators.LSHL, 2).and((byte) 0x30)).sub((byte) 32).intoArray(q, o + l + 32);
                lo.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).or(h.and((byte) 0x30)).sub((byte) 32).intoArray(q, o + l + 64);
                lo2.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).or(h.lanewise(VectorOperators.LSHR, 2).and((byte) 0x30))
                        .sub((byte) 32).intoArray(q, o + l + 96);
            }
        }
    }

    static void unpack(byte[] s, int so, byte[] q) {
        for (int half = 0; half < 2; half++) {
            int ql = so + 64 * half, qh = so + 128 + 32 * half, o = 128 * half;
            for (int l = 0; l < 32; l++) {
                int lo = s[ql + l] & 0xFF, lo2 = s[ql + l + 32] & 0xFF, h = s[qh + l] & 0xFF;
                q[o + l] = (byte) (((lo & 0xF) | (h & 3) << 4) - 32);
                q[o + l + 32] = (byte) (((lo2 & 0xF) | (h >>> 2 & 3) << 4) - 32);
                q[o + l + 64] = (byte) (((lo >>> 4) | (h >>> 4 & 3) << 4) - 32);
                q[o + l + 96] = (byte) (((lo2 >>> 4) | (h >>> 6 & 3) << 4) - 32);
            }
        }
    }

    public void scalar(byte[] s, int so, float[] y, int yo, int blocks) {
        byte[] q = new byte[256];
        for (int b = 0; b < blocks; b++, so += 210, yo += 256) {
            unpack(s, so, q);
            float d = Bytes.f16(s, so + 208);
            for (int r = 0; r < 16; r++) {
                float dl = d * s[so + 192 + r];
                for (int l = 0; l < 16; l++) y[yo + 16 * r + l] = dl * q[16 * r + l];
            }
        }
    }

    public void vector(byte[] s, int so, float[] y, int yo, int blocks) {
        byte[] q = new byte[256];
        for (int b = 0; b < blocks; b++, so += 210, yo += 256) {
            unpack(s, so, q, true);
            float d = Bytes.f16(s, so + 208);
            for (int r = 0; r < 16; r++) VectorOps.scale(q, 16 * r, y, yo + 16 * r, 16, d * s[so + 192 + r]);
        }
    }
}
