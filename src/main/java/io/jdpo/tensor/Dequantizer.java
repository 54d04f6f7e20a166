package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;
import io.jdpo.gguf.GgufFile;
import io.jdpo.gguf.GgufTensorInfo;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/**
 * Dequantizes GGUF tensor data (off-heap, e.g. a memory-mapped file) into floats, bit-identical
 * to ggml's own to_float. The Vector API path is the default; the scalar path is the
 * reference it is tested against. Thread-safe: each thread decodes through its own copy buffer.
 */
public final class Dequantizer {
    private static final Map<GgmlType, BlockDecoder> DECODERS = new EnumMap<>(GgmlType.class);
    /** Blocks copied from native memory per step: small enough to stay in L1/L2. */
    private static final int CHUNK_BYTES = 16 * 1024;
    /** One copy buffer per thread: rows are decoded one at a time in hot loops. */
    private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[CHUNK_BYTES]);

    static {
        for (BlockDecoder d : new BlockDecoder[]{FloatFormats.F32, FloatFormats.F16, FloatFormats.BF16,
                new Q4_0Block(), new Q4_1Block(), new Q5Blocks(false), new Q5Blocks(true), new Q8_0Block(),
                new Q2KBlock(), new Q3KBlock(), new Q45KBlock(false), new Q45KBlock(true), new Q6KBlock(),
                new IQ4NLBlock(), new IQ4XSBlock()}) {
            DECODERS.put(d.type(), d);
        }
    }

    private Dequantizer() {
    }

    /**
     * Whether jdpo can decode a type.
     *
     * @param type a ggml tensor type
     * @return true for F32, F16, BF16, the legacy, K and IQ4 quants jdpo decodes
     */
    public static boolean supports(GgmlType type) {
        return DECODERS.containsKey(type);
    }

    /** {@return every type {@link #dequantize} decodes: a view of the internal table, not to be modified} */
    public static Set<GgmlType> supportedTypes() {
        return DECODERS.keySet();
    }

    /**
     * Decodes {@code n} values of {@code type} from {@code src} (offset 0) into {@code dst[dstOff..]}.
     *
     * @param type   the data's ggml type
     * @param src    the encoded blocks, from byte 0; the caller keeps it alive for the call
     * @param dst    receives {@code n} floats
     * @param dstOff index in {@code dst} of the first value
     * @param n      values to decode: a whole number of {@code type}'s blocks
     * @throws UnsupportedTypeException if jdpo cannot decode {@code type}
     * @throws IllegalArgumentException if {@code n} is not a whole number of blocks or {@code src} is
     *                                  shorter than their bytes
     */
    public static void dequantize(GgmlType type, MemorySegment src, float[] dst, int dstOff, int n) {
        run(type, src, 0, dst, dstOff, n, Simd.VECTOR);
    }

    /**
     * As {@link #dequantize(GgmlType, MemorySegment, float[], int, int)} from byte {@code srcOff}
     * of {@code src}: a weight product decodes hundreds of thousands of row pieces a training
     * step, and a slice of the mapping for each was tens of MiB of garbage.
     *
     * @param type   the data's ggml type
     * @param src    holds the encoded blocks; the caller keeps it alive for the call
     * @param srcOff index in {@code src} of the first block's first byte
     * @param dst    receives {@code n} floats
     * @param dstOff index in {@code dst} of the first value
     * @param n      values to decode: a whole number of {@code type}'s blocks
     * @throws UnsupportedTypeException if jdpo cannot decode {@code type}
     * @throws IllegalArgumentException if {@code n} is not a whole number of blocks or {@code src}
     *                                  holds fewer than their bytes from {@code srcOff}
     */
    public static void dequantize(GgmlType type, MemorySegment src, long srcOff, float[] dst, int dstOff, int n) {
        run(type, src, srcOff, dst, dstOff, n, Simd.VECTOR);
    }

    /**
     * The scalar reference of {@link #dequantize(GgmlType, MemorySegment, float[], int, int)}.
     *
     * @param type   the data's ggml type
     * @param src    the encoded blocks, from byte 0
     * @param dst    receives {@code n} floats
     * @param dstOff index in {@code dst} of the first value
     * @param n      values to decode: a whole number of {@code type}'s blocks
     * @throws UnsupportedTypeException if jdpo cannot decode {@code type}
     * @throws IllegalArgumentException if {@code n} is not a whole number of blocks or {@code src} is
     *                                  shorter than their bytes
     */
    public static void dequantizeScalar(GgmlType type, MemorySegment src, float[] dst, int dstOff, int n) {
        run(type, src, 0, dst, dstOff, n, false);
    }

    /**
     * A whole tensor of a GGUF file as floats; unsupported types fail naming the tensor.
     *
     * @param file an open GGUF file holding the tensor
     * @param t    one of {@code file}'s tensors
     * @return a new array of the tensor's elements, in the file's order (row-major, ne[0] fastest)
     * @throws UnsupportedTypeException if jdpo cannot decode the tensor's type
     * @throws ArithmeticException      if the tensor has more than {@code Integer.MAX_VALUE} elements
     */
    public static float[] dequantize(GgufFile file, GgufTensorInfo t) {
        if (!supports(t.type())) throw new UnsupportedTypeException(t.name(), t.type());
        float[] out = new float[Math.toIntExact(t.elementCount())];
        dequantize(t.type(), file.data(t), out, 0, out.length);
        return out;
    }

    private static void run(GgmlType type, MemorySegment src, long srcOff, float[] dst, int dstOff, int n, boolean vector) {
        BlockDecoder d = DECODERS.get(type);
        if (d == null) throw new UnsupportedTypeException("(unnamed)", type);
        long bytes = type.bytesFor(n);
        if (srcOff < 0 || src.byteSize() - srcOff < bytes) {
            throw new IllegalArgumentException(n + " values of " + type + " need " + bytes + " bytes, the source has "
                    + (src.byteSize() - srcOff) + " from byte " + srcOff);
        }
        if (type == GgmlType.F32 && vector) {
            // Nothing to decode: copied straight from the mapping, not staged through a byte[].
            MemorySegment.copy(src, FloatFormats.FLOAT_LE, srcOff, dst, dstOff, n);
            return;
        }
        int blockBytes = type.bytesPerBlock(), blockValues = type.blockSize();
        int blocksPerChunk = CHUNK_BYTES / blockBytes;
        byte[] buf = BUFFER.get();
        long blocks = n / blockValues;
        for (long b = 0; b < blocks; b += blocksPerChunk) {
            int nb = (int) Math.min(blocksPerChunk, blocks - b);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOff + b * blockBytes, buf, 0, nb * blockBytes);
            int out = dstOff + (int) (b * blockValues);
            if (vector) d.vector(buf, 0, dst, out, nb);
            else d.scalar(buf, 0, dst, out, nb);
        }
    }
}
