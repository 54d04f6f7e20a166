package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;
import io.jdpo.llama.RowQuantizer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The vector kernels of the deployed quantized products ({@link GgmlQuantLanes}, tokens in
 * lanes, rows in tiles of four) against their scalar reference ({@link GgmlQuantDot#dot}) bit for bit,
 * for every order, at token counts that leave partial vectors, odd groups, a lone last pair of
 * groups or a whole second one beside the first, and Q4_K gemv rows, on
 * an odd number of rows and over more rows than one decoded batch; the suite runs this at
 * 128, 256 and 512 bits and on the scalar path. Whether the reference is llama.cpp's number is
 * {@code ParityTest}'s question (0.00 nats on the generated models).
 */
class GgmlQuantDotTest {
    @Test
    void vectorKernelsEqualTheScalarReferenceBitForBit() {
        Assumptions.assumeTrue(GgmlOrder.LANES > 0, "ggml's order is known only for x86 builds");
        Random rnd = new Random(5);
        int cols = 512;
        for (GgmlType type : new GgmlType[]{GgmlType.Q8_0, GgmlType.Q5_0, GgmlType.Q4_1, GgmlType.Q5_1, GgmlType.Q4_0, GgmlType.IQ4_NL, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_XS}) {
            for (int rows : new int[]{8, 12, 40}) {
                float[] wf = new float[rows * cols];
                for (int i = 0; i < wf.length; i++) wf[i] = (float) rnd.nextGaussian();
                byte[] w = RowQuantizer.quantize(type.id(), wf, rows, cols, null);
                for (int tokens : new int[]{2, 3, 5, 17, 38, 70}) {
                    GgmlQuantDot.Order order = GgmlQuantDot.orderFor(type, cols, rows, tokens);
                    // iqp.cpp's panels need 8 tokens and rows in eights; repacked Q2_K rows in eights (and AVX-512).
                    if (order == null && (type == GgmlType.IQ4_XS || type == GgmlType.Q2_K)) continue;
                    assertNotNull(order, type + " rows=" + rows);
                    float[] x = new float[tokens * cols];
                    for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * (1 + 5 * rnd.nextDouble()));
                    GgmlQuantDot.Q8Rows q = GgmlQuantDot.Q8Rows.of(type, x, tokens, cols, Parallel.SERIAL);
                    assertVectorEqualsReference(type, order, w, rows, cols, q, tokens);
                }
            }
        }
    }

    /**
     * The integer sums at their largest: runs of weights that quantize to the top code (and a
     * zero, so the minimum is 0) against activations of one size and sign, which quantize to
     * ±127: Q4_K's 16-value short sums reach 15·127·16 = 30,480, and Q4_0's 32-value ones, whose
     * weights are all one (every code −8), 8·127·32 = 32,512 (a short holds 32,767).
     */
    @Test
    void integerSumsAtTheirLargestStayExact() {
        Assumptions.assumeTrue(GgmlOrder.LANES > 0, "ggml's order is known only for x86 builds");
        int cols = 512, rows = 8, tokens = 37;
        for (GgmlType type : new GgmlType[]{GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_0, GgmlType.Q4_0}) {
            float[] wf = new float[rows * cols];
            for (int i = 0; i < wf.length; i++) wf[i] = i % 32 == 0 && type != GgmlType.Q4_0 ? 0f : 1f;
            byte[] w = RowQuantizer.quantize(type.id(), wf, rows, cols, null);
            float[] x = new float[tokens * cols];
            for (int i = 0; i < x.length; i++) x[i] = i / cols % 2 == 0 ? 3f : -3f;
            GgmlQuantDot.Order order = GgmlQuantDot.orderFor(type, cols, rows, tokens);
            GgmlQuantDot.Q8Rows q = GgmlQuantDot.Q8Rows.of(type, x, tokens, cols, Parallel.SERIAL);
            assertEquals(127, Math.abs(q.rows()[0].q()[1]), "activations at the top of Q8's range");
            float[] codes = GgmlQuantDot.RowCodes.decode(type, java.util.Arrays.copyOf(w, (int) type.bytesFor(cols)), cols).q();
            if (type == GgmlType.Q4_K) assertEquals(15f, codes[1], "Q4_K's top code");
            if (type == GgmlType.Q4_0) assertEquals(-8f, codes[0], "Q4_0's code of largest size, at every value");
            assertVectorEqualsReference(type, order, w, rows, cols, q, tokens);
        }
    }

    /**
     * Q6_K's lane integers past 2^24: blocks whose codes are all at the top (63), run scales at
     * the ends of int8 (127 and −128), against activations that quantize to ±127 and ±126, so a
     * lane's two half sums add up to about 32.5 million, odd as often as not, which a float would round; rows of random blocks and
     * tokens of random values beside them, so a vector holds lanes of both kinds. The vector
     * kernel adds such lanes as ints, as ggml does.
     */
    @Test
    void sixKLaneSumsPastTwoToThe24AreAddedAsInts() {
        Assumptions.assumeTrue(GgmlOrder.LANES > 0, "ggml's order is known only for x86 builds");
        int cols = 512, rows = 8, tokens = 37, blockBytes = (int) GgmlType.Q6_K.bytesFor(256);
        Random rnd = new Random(12);
        float[] wf = new float[rows * cols];
        for (int i = 0; i < wf.length; i++) wf[i] = (float) rnd.nextGaussian();
        byte[] w = RowQuantizer.quantize(GgmlType.Q6_K.id(), wf, rows, cols, null);
        for (int b = 0; b < rows * cols / 256; b++) {
            if (b % 3 == 2) continue;
            int o = b * blockBytes;
            // ql (128 bytes) and qh (64): every code 63; 16 run scales; F16 d = 1.
            java.util.Arrays.fill(w, o, o + 192, (byte) 0xFF);
            for (int j = 0; j < 16; j++) w[o + 192 + j] = (byte) (j % 5 == 4 ? -128 : 127);
            w[o + 208] = 0x00;
            w[o + 209] = 0x3C;
        }
        float[] x = new float[tokens * cols];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < cols; i++) {
                // 127 or, here and there, 126 times the block's scale: odd and even products, so
                // the halves' sums are odd as often as even and a float would have to round them.
                float top = i % 32 == 0 || rnd.nextBoolean() ? 3f : 3f * 126 / 127;
                x[t * cols + i] = switch (t % 3) {
                    case 0 -> top;
                    case 1 -> -top;
                    default -> (float) rnd.nextGaussian();
                };
            }
        }
        GgmlQuantDot.Order order = GgmlQuantDot.orderFor(GgmlType.Q6_K, cols, rows, tokens);
        GgmlQuantDot.Q8Rows q = GgmlQuantDot.Q8Rows.of(GgmlType.Q6_K, x, tokens, cols, Parallel.SERIAL);
        float[] codes = GgmlQuantDot.RowCodes.decode(GgmlType.Q6_K, java.util.Arrays.copyOf(w, (int) GgmlType.Q6_K.bytesFor(cols)), cols).q();
        assertEquals(63f, codes[5], "Q6_K's top code");
        assertEquals(127, Math.abs(q.rows()[0].q()[0]), "activations at the top of Q8's range");
        assertVectorEqualsReference(GgmlType.Q6_K, order, w, rows, cols, q, tokens);
    }

    private static void assertVectorEqualsReference(GgmlType type, GgmlQuantDot.Order order, byte[] w, int rows, int cols,
                                                    GgmlQuantDot.Q8Rows q, int tokens) {
        float[] y = new float[tokens * rows];
        int gemmEnd = GgmlQuantDot.gemmRows(tokens);
        boolean[] gemv = GgmlQuantDot.gemvTokens(new int[]{tokens});
        GgmlQuantLanes.Tokens lanes = Simd.VECTOR ? GgmlQuantLanes.Tokens.of(q, cols, type, order, Parallel.SERIAL) : null;
        // Two calls, the first over an odd number of rows: the kernels take rows in tiles of four.
        GgmlQuantDot.product(type, MemorySegment.ofArray(w), cols, order, q, lanes, gemv, 0, 3, y, 0, rows);
        GgmlQuantDot.product(type, MemorySegment.ofArray(w), cols, order, q, lanes, gemv, 3, rows - 3, y, 3, rows);
        long rowBytes = type.bytesFor(cols);
        for (int r = 0; r < rows; r++) {
            GgmlQuantDot.RowCodes codes = GgmlQuantDot.RowCodes.decode(type,
                    java.util.Arrays.copyOfRange(w, (int) (r * rowBytes), (int) ((r + 1) * rowBytes)), cols);
            for (int t = 0; t < tokens; t++) {
                float ref = GgmlQuantDot.dot(order, codes, q.rows()[t], t < gemmEnd);
                assertEquals(Float.floatToIntBits(ref), Float.floatToIntBits(y[t * rows + r]),
                        type + " " + order + " rows=" + rows + " tokens=" + tokens + " at " + t + "," + r + ": " + ref + " vs " + y[t * rows + r]);
            }
        }
    }
}
