package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;
import io.jdpo.llama.RowQuantizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The activation rounding of the deployed arithmetic: the Vector API path bit for bit equal to
 * the scalar one at this JVM's vector width (the suite runs it at 128, 256 and 512 bits), and
 * both equal to ggml's own rounding where ggml exposes it.
 */
class ActivationQuantizerTest {

    /** Activations as a forward makes them: mostly small, some outliers, whole zero blocks, exact ties, both signs of the same maximum. */
    static float[] activations(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * (rnd.nextInt(20) == 0 ? 8 : 1));
        java.util.Arrays.fill(x, 0, Math.min(n, 32), 0f);
        if (n >= 320) {
            // A block whose values sit on rounding ties: max 127, so x·(127/max) = x.
            x[256] = 127f;
            for (int i = 257; i < 288; i++) x[i] = (i % 7) - 3.5f;
            // Equal magnitudes of both signs: the first one met decides Q8_K's sign.
            x[300] = -9f;
            x[301] = 9f;
        }
        return x;
    }

    /** Bytes of one of the format's blocks as ggml stores it. */
    private static int blockBytes(ActivationQuantizer.Format f) {
        return switch (f) { case Q8_0 -> 34; case Q8_1 -> 36; case Q8_K -> 292; };
    }

    /** x[0, n) quantized by the loaded libggml-cpu's own row quantizer for the format. */
    private static byte[] ggmlBlocks(ActivationQuantizer.Format f, float[] x, int n) {
        return io.jdpo.testing.GgmlCpu.quantizeRow(f.name().toLowerCase(java.util.Locale.ROOT).replace("k", "K"), x, n / f.block * blockBytes(f));
    }

    @ParameterizedTest
    @EnumSource(ActivationQuantizer.Format.class)
    void vectorPathMatchesScalarBitForBit(ActivationQuantizer.Format f) {
        Random rnd = new Random(f.ordinal() + 5);
        for (int blocks : new int[]{1, 2, 7, 16}) {
            int n = blocks * f.block;
            float[] x = activations(rnd, n);
            float[] vec = new float[n], ref = new float[n];
            float[] dv = new float[n / f.block], dr = new float[n / f.block];
            ActivationQuantizer.roundTrip(f, x, n, vec, dv, true);
            ActivationQuantizer.roundTrip(f, x, n, ref, dr, false);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(vec[i]), f + " value " + i + " of " + n + " (" + Simd.describe() + ")");
            }
            assertArrayEquals(dr, dv, 0f, f + " block sums");
        }
    }

    /**
     * The rounding is ggml's own, bit for bit: llama.cpp's CPU row quantizers called in the
     * loaded libggml-cpu (the AVX2 quantize_row_q8_0 / _q8_1 on this machine, and
     * quantize_row_q8_K), block scales, integers, and Q8_1's rounded block sums.
     */
    @ParameterizedTest
    @EnumSource(ActivationQuantizer.Format.class)
    void roundingIsGgmlCpusOwn(ActivationQuantizer.Format f) {
        Random rnd = new Random(20 + f.ordinal());
        int n = 256 * 8;
        float[] x = activations(rnd, n);
        int blockBytes = blockBytes(f);
        byte[] g = ggmlBlocks(f, x, n);
        float[] ours = new float[n], delta = new float[n / f.block];
        ActivationQuantizer.roundTrip(f, x, n, ours, f == ActivationQuantizer.Format.Q8_1 ? delta : null, Simd.VECTOR);
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(g).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < n / f.block; b++) {
            int o = b * blockBytes;
            float d = f == ActivationQuantizer.Format.Q8_K ? bb.getFloat(o) : Float.float16ToFloat(bb.getShort(o));
            int qOff = o + (f == ActivationQuantizer.Format.Q8_0 ? 2 : 4);
            int sum = 0;
            for (int i = 0; i < f.block; i++) {
                int q = g[qOff + i];
                sum += q;
                assertEquals(Float.floatToRawIntBits(d * q), Float.floatToRawIntBits(ours[b * f.block + i]),
                        f + " block " + b + " value " + i + ": x = " + x[b * f.block + i]);
            }
            if (f == ActivationQuantizer.Format.Q8_1) {
                float s = Float.float16ToFloat(bb.getShort(o + 2));
                assertEquals((double) s - (double) d * sum, delta[b], 1e-12, "Q8_1 block sum " + b);
            }
            if (f == ActivationQuantizer.Format.Q8_K) {
                for (int j = 0; j < 16; j++) {
                    int bs = 0;
                    for (int i = 0; i < 16; i++) bs += g[qOff + 16 * j + i];
                    assertEquals(bs, bb.getShort(o + 4 + 256 + 2 * j), "Q8_K bsum " + j);
                }
            }
        }
    }

    /**
     * The 8-bit blocks the integer kernels read ({@link BlockDot.Q8#of}): codes, scales, Q8_1's
     * block sums and Q8_K's 16-value sums as ggml's own row quantizers store them, and the
     * codes of the vector path equal to the scalar one's.
     */
    @ParameterizedTest
    @EnumSource(ActivationQuantizer.Format.class)
    void blocksAreGgmlCpusOwn(ActivationQuantizer.Format f) {
        Random rnd = new Random(40 + f.ordinal());
        int n = 256 * 8;
        float[] x = activations(rnd, n);
        int blockBytes = blockBytes(f);
        byte[] g = ggmlBlocks(f, x, n);
        BlockDot.Q8 ours = BlockDot.Q8.of(f, x, n);
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(g).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < n / f.block; b++) {
            int o = b * blockBytes, qOff = o + (f == ActivationQuantizer.Format.Q8_0 ? 2 : 4);
            float d = f == ActivationQuantizer.Format.Q8_K ? bb.getFloat(o) : Float.float16ToFloat(bb.getShort(o));
            assertEquals(Float.floatToRawIntBits(d), Float.floatToRawIntBits(ours.d()[b]), f + " scale of block " + b);
            for (int i = 0; i < f.block; i++) assertEquals(g[qOff + i], ours.q()[b * f.block + i], f + " block " + b + " code " + i);
            if (f == ActivationQuantizer.Format.Q8_1) assertEquals(Float.float16ToFloat(bb.getShort(o + 2)), ours.s()[b], 0f, "Q8_1 block sum " + b);
            if (f == ActivationQuantizer.Format.Q8_K) {
                for (int j = 0; j < 16; j++) assertEquals(bb.getShort(o + 4 + 256 + 2 * j), ours.bsums()[16 * b + j], "Q8_K bsum " + j + " of block " + b);
            }
        }
        byte[] qv = new byte[n], qs = new byte[n];
        int[] bv = new int[n / 16], bs = new int[n / 16];
        for (int o = 0; o < n; o += f.block) {
            float mv = ActivationQuantizer.codes(f, x, o, qv, bv, Simd.VECTOR), ms = ActivationQuantizer.codes(f, x, o, qs, bs, false);
            assertEquals(Float.floatToRawIntBits(ms), Float.floatToRawIntBits(mv), f + " largest value of block at " + o);
        }
        assertArrayEquals(qs, qv, f + " codes, " + Simd.describe() + " against scalar");
        assertArrayEquals(bs, bv, f + " 16-value sums, " + Simd.describe() + " against scalar");
    }

    /** A NaN among the activations (a diverged run) is passed over as ggml's comparisons pass it: no exception, other blocks untouched. */
    @ParameterizedTest
    @EnumSource(ActivationQuantizer.Format.class)
    void aNanIsPassedOver(ActivationQuantizer.Format f) {
        float[] x = activations(new Random(9), 2 * f.block), clean = x.clone();
        x[f.block + 3] = Float.NaN;
        for (boolean vector : new boolean[]{false, Simd.VECTOR}) {
            byte[] q = new byte[x.length], ref = new byte[x.length];
            int[] sums = new int[x.length / 16], refSums = new int[x.length / 16];
            for (int o = 0; o < x.length; o += f.block) {
                ActivationQuantizer.codes(f, x, o, q, sums, vector);
                ActivationQuantizer.codes(f, clean, o, ref, refSums, vector);
            }
            assertArrayEquals(java.util.Arrays.copyOf(ref, f.block), java.util.Arrays.copyOf(q, f.block), f + " first block, vector " + vector);
        }
    }

    /** The deployed product, vector path against the scalar reference (rounding and decoding included). */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0",
            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void deployedProductMatchesScalarReference(GgmlType type) {
        Random rnd = new Random(type.id() * 7L);
        boolean differ = false;
        try (Parallel par = new Parallel(2)) {
            for (int[] sh : new int[][]{{1, 1, 1}, {13, 5, 2}, {33, 9, 1}}) {
                int rows = sh[0], tokens = sh[1], cols = Math.max(type.blockSize(), 32) * sh[2];
                byte[] q = RowQuantizer.quantize(type.id(), gaussian(rnd, rows * cols), rows, cols, null);
                QuantMatrix m = new QuantMatrix("w", type, java.lang.foreign.MemorySegment.ofArray(q), cols, rows);
                float[] x = activations(rnd, tokens * cols);
                float[] fast = new float[tokens * rows], ref = new float[tokens * rows], flt = new float[tokens * rows];
                m.matmul(x, tokens, fast, par);
                m.matmulScalar(x, tokens, ref);
                for (int i = 0; i < fast.length; i++) {
                    assertEquals(ref[i], fast[i], 1e-4 * Math.sqrt(cols) * (1 + Math.abs(ref[i])), type + " at " + i);
                }
                // The float arithmetic is a different product: the rounding must show.
                m.arithmetic(Arithmetic.FLOAT);
                m.matmul(x, tokens, flt, par);
                m.arithmetic(Arithmetic.DEPLOYED);
                differ |= !java.util.Arrays.equals(flt, fast);
            }
        }
        assertTrue(differ, type + ": deployed and float arithmetic gave the same products");
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }
}
