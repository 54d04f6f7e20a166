package io.jdpo.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Splits packed 4-bit values: low nibbles to one run, high nibbles to the next, minus a bias. */
final class Nibbles {
    private static final VectorSpecies<Byte> S = ByteVector.SPECIES_128;

    private Nibbles() {
    }

    /** out[i] = (src[i] &amp; 0xF) - bias, out[n + i] = (src[i] &gt;&gt; 4) - bias, for i &lt; n. */
    static void scalar(byte[] src, int off, int n, int bias, byte[] out, int outOff) {
        for (int i = 0; i < n; i++) {
            int b = src[off + i] & 0xFF;
            out[outOff + i] = (byte) ((b & 0xF) - bias);
            out[outOff + n + i] = (byte) ((b >>> 4) - bias);
        }
    }

    /** The same, 16 bytes at a time (n a multiple of 16). */
    static void vector(byte[] src, int off, int n, int bias, byte[] out, int outOff) {
        for (int i = 0; i < n; i += S.length()) {
            ByteVector v = ByteVector.fromArray(S, src, off + i);
            v.and((byte) 0xF).sub((byte) bias).intoArray(out, outOff + i);
            v.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).sub((byte) bias).intoArray(out, outOff + n + i);
        }
    }
}
