package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

        // A bulk copy: FloatVector.fromMemorySegment on a byte[]-backed segment was not
        // intrinsified here and fell back to a per-lane Java loop, decoding at 1.3 GB/s.
        public void vector(byte[] s, int so, float[] d, int dO, int n) {
            MemorySegment.copy(MemorySegment.ofArray(s), FLOAT_LE, so, d, dO, n);
        }
    };

    /** Little-endian F32 as GGUF stores it. */
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final BlockDecoder F16 = new BlockDecoder() {
        public GgmlType type() { return GgmlType.F16; }

        public void scalar(byte[] s, int so, float[] d, int dO, int n) {
            for (int i = 0; i < n; i++) d[dO + i] = Bytes.f16(s, so + 2 * i);
        }

        // The Vector API has no half-precision lanes, but the JIT vectorises Float.float16ToFloat
        // over a short[] into vcvtph2ps: copying the bytes into shorts first made the decode
        // about four times faster than converting them two bytes at a time.
        public void vector(byte[] s, int so, float[] d, int dO, int n) {
            short[] h = HALVES.get(n);
            MemorySegment.copy(MemorySegment.ofArray(s), HALF_LE, so, h, 0, n);
            for (int i = 0; i < n; i++) d[dO + i] = Float.float16ToFloat(h[i]);
        }
    };

    private static final ValueLayout.OfShort HALF_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** The halves of one decode call, per thread. */
    private static final ScratchBuffer<short[]> HALVES = ScratchBuffer.shorts();

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
