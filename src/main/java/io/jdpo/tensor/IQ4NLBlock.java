package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** block_iq4_nl (18 bytes, 32 values): f16 d, nibbles indexing a non-linear table; y = d * table[q]. */
final class IQ4NLBlock implements BlockDecoder {
    /** kvalues_iq4nl of ggml-common.h. */
    static final byte[] VALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    public GgmlType type() { return GgmlType.IQ4_NL; }

    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final ByteVector TABLE = ByteVector.fromArray(B16, VALUES, 0);

    /** Looks 16 packed bytes up in the table: low nibbles to out[0..16), high to out[16..32); one shuffle each. */
    static void lookup(byte[] s, int off, byte[] out, int outOff) {
        ByteVector v = ByteVector.fromArray(B16, s, off);
        v.and((byte) 0xF).selectFrom(TABLE).intoArray(out, outOff);
        v.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).selectFrom(TABLE).intoArray(out, outOff + 16);
    }

    public void scalar(byte[] s, int so, float[] y, int yo, int blocks) {
        for (int b = 0; b < blocks; b++, so += 18, yo += 32) {
            float d = Bytes.f16(s, so);
            for (int j = 0; j < 16; j++) {
                int q = s[so + 2 + j] & 0xFF;
                y[yo + j] = d * VALUES[q & 0xF];
                y[yo + j + 16] = d * VALUES[q >>> 4];
            }
        }
    }

    public void vector(byte[] s, int so, float[] y, int yo, int blocks) {
        byte[] q = new byte[32];
        for (int b = 0; b < blocks; b++, so += 18, yo += 32) {
            lookup(s, so + 2, q, 0);
            VectorOps.scale(q, 0, y, yo, 32, Bytes.f16(s, so));
        }
    }
}
