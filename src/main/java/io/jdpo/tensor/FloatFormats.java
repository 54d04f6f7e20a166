package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;
import jdk.incubator.vector.FloatVector;

import java.nio.ByteOrder;

/** The unquantized types: F32 (a copy), F16 (IEEE half) and BF16 (the top half of an F32). */
final class FloatFormats {
    private FloatFormats() {
    }

    static final BlockDecoder F32 = new BlockDecoder() {
        public GgmlType type() { return GgmlType.F32; }

        public void scalar(byte[] s, int so, float[] d, int dO, int n) {
            for (int i = 0; i < n; i++) d[dO + i] = Float.intBitsToFloat(Bytes.i32(s, so + 4 * i));
        }

        public void vector(byte[] s, int so, float[] d, int dO, int n) {
            int i = 0;
            for (; i + VectorOps.F.length() <= n; i += VectorOps.F.length()) {
                FloatVector.fromMemorySegment(VectorOps.F, java.lang.foreign.MemorySegment.ofArray(s), so + 4L * i, ByteOrder.LITTLE_ENDIAN)
                        .intoArray(d, dO + i);
            }
            scalar(s, so + 4 * i, d, dO + i, n - i);
        }
    };

    static final BlockDecoder F16 = new BlockDecoder() {
        public GgmlType type() { return GgmlType.F16; }

        public void scalar(byte[] s, int so, float[] d, int dO, int n) {
            for (int i = 0; i < n; i++) d[dO + i] = Bytes.f16(s, so + 2 * i);
        }

        // Float.float16ToFloat is an intrinsic (vcvtph2ps) that the loop compiles to; the Vector
        // API has no half-precision lane type to do better with.
        public void vector(byte[] s, int so, float[] d, int dO, int n) {
            scalar(s, so, d, dO, n);
        }
    };

    static final BlockDecoder BF16 = new BlockDecoder() {
        public GgmlType type() { return GgmlType.BF16; }

        public void scalar(byte[] s, int so, float[] d, int dO, int n) {
            for (int i = 0; i < n; i++) d[dO + i] = Float.intBitsToFloat(Bytes.u16(s, so + 2 * i) << 16);
        }

        // The widening shuffle (short lanes to int lanes) is not compiled to a vector
        // instruction here and ran 3x slower than this loop, which the JIT vectorises itself.
        public void vector(byte[] s, int so, float[] d, int dO, int n) {
            scalar(s, so, d, dO, n);
        }
    };
}
