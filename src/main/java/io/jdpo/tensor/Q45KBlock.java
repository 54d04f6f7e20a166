package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * block_q4_K (144 bytes: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes of
 * nibbles) and block_q5_K (176 bytes: the same plus 32 bytes of fifth bits before the
 * nibbles). Eight runs of 32: y = d*sc * q - dmin*m.
 */
final class Q45KBlock implements BlockDecoder {
    /** 128 bits: the width every vector unit has, so the same code serves every machine. */
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private final boolean five;

    Q45KBlock(boolean five) {
        this.five = five;
    }

    public GgmlType type() { return five ? GgmlType.Q5_K : GgmlType.Q4_K; }

    private int size() { return five ? 176 : 144; }

    /** get_scale_min_k4: scale (index 0) and min (index 1) of run j from the 12 packed bytes. */
    static void scaleMin(byte[] s, int off, int j, int[] out) {
        if (j < 4) {
            out[0] = s[off + j] & 63;
            out[1] = s[off + j + 4] & 63;
        } else {
            out[0] = (s[off + j + 4] & 0xF) | ((s[off + j - 4] & 0xFF) >>> 6) << 4;
            out[1] = ((s[off + j + 4] & 0xFF) >>> 4) | ((s[off + j] & 0xFF) >>> 6) << 4;
        }
    }

    void unpack(byte[] s, int so, byte[] q, boolean vector) {
        int qs = so + (five ? 48 : 16);
        if (vector) {
            // 32 packed bytes per run pair: low nibbles, high nibbles, and for Q5_K each plus its
            // fifth bit from the 32 high-bit bytes (loaded once per block).
            if (five) {
                for (int half = 0; half < 32; half += 16) {
                    ByteVector h = ByteVector.fromArray(B16, s, so + 16 + half);
                    for (int j = 0; j < 4; j++) {
                        ByteVector v = ByteVector.fromArray(B16, s, qs + 32 * j + half);
                        v.and((byte) 0xF).add(h.lanewise(VectorOperators.LSHR, 2 * j).and((byte) 1).lanewise(VectorOperators.LSHL, 4))
                                .intoArray(q, 64 * j + half);
                        v.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF)
                                .add(h.lanewise(VectorOperators.LSHR, 2 * j + 1).and((byte) 1).lanewise(VectorOperators.LSHL, 4))
                                .intoArray(q, 64 * j + 32 + half);
                    }
                }
            } else {
                for (int j = 0; j < 4; j++) Nibbles.vector(s, qs + 32 * j, 32, 0, q, 64 * j);
            }
            return;
        }
        for (int j = 0; j < 4; j++) Nibbles.scalar(s, qs + 32 * j, 32, 0, q, 64 * j);
        if (five) {
            // Branch-free: the fifth bits are random, so a branch per value would mispredict half the time.
            for (int j = 0; j < 4; j++) {
                for (int l = 0; l < 32; l++) {
                    int h = s[so + 16 + l];
                    q[64 * j + l] += (byte) ((h >>> (2 * j) & 1) << 4);
                    q[64 * j + 32 + l] += (byte) ((h >>> (2 * j + 1) & 1) << 4);
                }
            }
        }
    }

    public void scalar(byte[] s, int so, float[] y, int yo, int blocks) {
        decode(s, so, y, yo, blocks, false);
    }

    public void vector(byte[] s, int so, float[] y, int yo, int blocks) {
        decode(s, so, y, yo, blocks, true);
    }

    /** A block's unpacked codes, per thread: the backward decodes every row slice of its weights, each with a fresh one before. */
    private static final ScratchBuffer<byte[]> UNPACKED = ScratchBuffer.bytes();

    private void decode(byte[] s, int so, float[] y, int yo, int blocks, boolean vector) {
        byte[] q = UNPACKED.get(256);
        int[] sm = new int[2];
        for (int b = 0; b < blocks; b++, so += size(), yo += 256) {
            unpack(s, so, q, vector);
            float d = Bytes.f16(s, so), min = Bytes.f16(s, so + 2);
            for (int r = 0; r < 8; r++) {
                scaleMin(s, so + 4, r, sm);
                float dl = d * sm[0], ml = min * sm[1];
                if (vector) {
                    VectorOps.scaleAdd(q, 32 * r, y, yo + 32 * r, 32, dl, -ml);
                } else {
                    for (int l = 0; l < 32; l++) y[yo + 32 * r + l] = dl * q[32 * r + l] - ml;
                }
            }
        }
    }
}
