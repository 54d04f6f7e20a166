package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;
import io.jdpo.gguf.GgufFile;
import io.jdpo.gguf.GgufTensorInfo;
import io.jdpo.llama.FileType;
import io.jdpo.llama.ModelQuantizer;
import io.jdpo.llama.RowQuantizer;
import io.jdpo.testing.TestData;
import io.jdpo.testing.TestModelFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Java dequantization held bit for bit to ggml's to_float, scalar and vector paths alike. */
class DequantizerTest {
    static final Set<GgmlType> SUPPORTED = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0,
            GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K,
            GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS);

    /** ggml's to_float of n values of a type, through the binding. */
    static float[] ggml(GgmlType type, MemorySegment src, int n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(src.byteSize(), 64);
            in.copyFrom(src);
            MemorySegment out = arena.allocate(ValueLayout.JAVA_FLOAT, n);
            RowQuantizer.toFloat(type.id(), in, out, n);
            return out.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    /** Same bits, except that every NaN counts as the same NaN. */
    static void assertSameBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                fail(what + ": value " + i + " is " + actual[i] + ", ggml gives " + expected[i]);
            }
        }
    }

    static void checkBoth(GgmlType type, MemorySegment src, int n, String what) {
        float[] expected = ggml(type, src, n);
        float[] scalar = new float[n], vector = new float[n];
        Dequantizer.dequantizeScalar(type, src, scalar, 0, n);
        Dequantizer.dequantize(type, src, vector, 0, n);
        assertSameBits(expected, scalar, what + " (scalar)");
        assertSameBits(expected, vector, what + " (vector)");
    }

    @Test
    void supportsExactlyTheListedTypes() {
        assertEquals(SUPPORTED, Dequantizer.supportedTypes());
    }

    @Test
    void typeTableMatchesGgml() {
        for (int id = 0; id < 43; id++) {
            GgmlType t = GgmlType.byId(id);
            if (t == null) continue;
            assertEquals(RowQuantizer.typeName(id), t.ggmlName(), "name of " + id);
            assertEquals(RowQuantizer.blockSize(id), t.blockSize(), "block size of " + t);
            assertEquals(RowQuantizer.rowSize(id, t.blockSize()), t.bytesPerBlock(), "block bytes of " + t);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0",
            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void randomBlocksDecodeLikeGgml(GgmlType type) {
        Random rnd = new Random(type.id());
        int blocks = 37;
        int n = blocks * type.blockSize();
        // Random bytes exercise every bit pattern of scales and quants ...
        byte[] raw = new byte[(int) type.bytesFor(n)];
        rnd.nextBytes(raw);
        checkBoth(type, MemorySegment.ofArray(raw), n, type + " random bytes");
        // ... and ggml-quantized data the values real models hold.
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * (1 + i % 7));
        byte[] q = RowQuantizer.quantize(type.id(), x, 1, n, null);
        checkBoth(type, MemorySegment.ofArray(q), n, type + " quantized by ggml");
    }

    @Test
    void everyTensorOfLlamaCppQuantizedModelsDecodesLikeGgml(@TempDir Path dir) throws Exception {
        Path f32 = TestModelFactory.writeLlama(TestData.stories260K(),
                new TestModelFactory.Shape(256, 2, 4, 2, 512, 256), 3, dir.resolve("m.f32.gguf"));
        Set<GgmlType> seen = EnumSet.noneOf(GgmlType.class);
        for (FileType ft : new FileType[]{FileType.F32, FileType.F16, FileType.BF16, FileType.Q4_0, FileType.Q4_1,
                FileType.Q5_0, FileType.Q5_1, FileType.Q8_0, FileType.Q2_K, FileType.Q3_K_M, FileType.Q4_K_M,
                FileType.Q5_K_M, FileType.Q6_K, FileType.IQ4_NL, FileType.IQ4_XS}) {
            Path q = ft == FileType.F32 ? f32 : dir.resolve("m." + ft + ".gguf");
            if (ft != FileType.F32) ModelQuantizer.quantize(f32, q, ft, 2);
            try (GgufFile g = GgufFile.open(q)) {
                for (GgufTensorInfo t : g.tensors()) {
                    seen.add(t.type());
                    checkBoth(t.type(), g.data(t), (int) t.elementCount(), ft + " " + t.name());
                }
            }
        }
        assertEquals(SUPPORTED, seen, "every supported type appeared in some llama.cpp-quantized model");
    }

    @Test
    void decodesFromAnOffsetAsFromASlice() {
        java.util.Random rnd = new java.util.Random(11);
        for (GgmlType type : SUPPORTED) {
            int n = 2 * type.blockSize();
            byte[] raw = new byte[(int) type.bytesFor(n) * 3];
            rnd.nextBytes(raw);
            // F16/BF16/F32 bytes may spell NaNs; any bits do, as long as both paths read the same ones.
            MemorySegment all = MemorySegment.ofArray(raw);
            long at = type.bytesFor(n);
            float[] fromSlice = new float[n], fromOffset = new float[n];
            Dequantizer.dequantize(type, all.asSlice(at, type.bytesFor(n)), fromSlice, 0, n);
            Dequantizer.dequantize(type, all, at, fromOffset, 0, n);
            assertSameBits(fromSlice, fromOffset, type + " from byte " + at);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Dequantizer.dequantize(type, all, 2 * at + 1, new float[n], 0, n));
            assertTrue(e.getMessage().contains("from byte " + (2 * at + 1)), e.getMessage());
        }
    }

    @Test
    void unsupportedTypeNamesTheTensor() {
        UnsupportedTypeException e = assertThrows(UnsupportedTypeException.class, () ->
                Dequantizer.dequantize(null, new GgufTensorInfo("blk.0.attn_q.weight", GgmlType.IQ2_XXS, new long[]{256}, 0)));
        assertTrue(e.getMessage().contains("blk.0.attn_q.weight") && e.getMessage().contains("IQ2_XXS"), e.getMessage());
    }
}
