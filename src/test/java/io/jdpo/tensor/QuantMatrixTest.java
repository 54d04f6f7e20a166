package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;
import io.jdpo.llama.RowQuantizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The vectorised, multithreaded product held to its scalar reference across types and odd shapes. */
class QuantMatrixTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0",
            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void fastProductMatchesScalarReference(GgmlType type) {
        Random rnd = new Random(type.id() * 31L);
        // Row counts off the strip width, odd token counts (around the 6- and 4-row tiles), widths of 1 to 3 blocks.
        int[][] shapes = {{1, 1, 1}, {7, 3, 2}, {13, 5, 3}, {4, 1, 1}, {33, 9, 2}};
        try (Parallel par = new Parallel(2)) {
            for (int[] sh : shapes) {
                int rows = sh[0], tokens = sh[1];
                int cols = cols(type, sh[2]);
                QuantMatrix m = randomMatrix(type, rows, cols, rnd);
                float[] x = gaussian(rnd, tokens * cols);
                float[] fast = new float[tokens * rows], ref = new float[tokens * rows];
                m.matmul(x, tokens, fast, par);
                m.matmulScalar(x, tokens, ref);
                for (int i = 0; i < fast.length; i++) {
                    assertEquals(ref[i], fast[i], 1e-4 * Math.sqrt(cols) * (1 + Math.abs(ref[i])),
                            type + " " + rows + "x" + cols + " tokens " + tokens + " at " + i);
                }
            }
        }
    }

    /** The backward's dx += dy·W, split across threads by column slices, against its scalar reference. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0",
            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void transposedProductMatchesScalarReference(GgmlType type) {
        Random rnd = new Random(type.id() * 17L);
        // Row counts across panel boundaries, token counts around the 6- and 4-row tiles, widths that split between threads.
        int[][] shapes = {{1, 1, 1}, {7, 3, 2}, {17, 5, 3}, {33, 9, 2}, {5, 4, 4}};
        try (Parallel par = new Parallel(2)) {
            for (int[] sh : shapes) {
                int rows = sh[0], tokens = sh[1];
                int cols = cols(type, sh[2]);
                QuantMatrix m = randomMatrix(type, rows, cols, rnd);
                float[] dy = gaussian(rnd, tokens * rows);
                float[] fast = new float[tokens * cols], ref = new float[tokens * cols];
                for (int i = 0; i < fast.length; i++) fast[i] = ref[i] = (float) rnd.nextGaussian();
                m.matmulTransposedAdd(dy, tokens, fast, par);
                m.matmulTransposedAddScalar(dy, tokens, ref);
                for (int i = 0; i < fast.length; i++) {
                    assertEquals(ref[i], fast[i], 1e-4 * Math.sqrt(rows) * (1 + Math.abs(ref[i])),
                            type + " " + rows + "x" + cols + " tokens " + tokens + " at " + i);
                }
            }
        }
    }

    /**
     * Products that share an input (q, k and v; gate and up) make its activation blocks once:
     * the same bits as each product quantizing it alone, also for a weight type of another
     * kernel order (Q4_K_M's Q6_K beside its Q4_K) or another block format (Q8_0's).
     */
    @org.junit.jupiter.api.Test
    void productsSharingAnInputGiveTheirOwnBits() {
        Random rnd = new Random(23);
        int cols = 512, tokens = 21;
        float[] x = gaussian(rnd, tokens * cols);
        try (Parallel par = new Parallel(2)) {
            SharedInput shared = new SharedInput(x, tokens);
            for (GgmlType type : new GgmlType[]{GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q4_K, GgmlType.Q8_0, GgmlType.Q4_0}) {
                QuantMatrix m = randomMatrix(type, 24, cols, rnd);
                float[] alone = new float[tokens * 24], together = new float[tokens * 24];
                m.matmul(x, tokens, alone, par);
                m.matmul(shared, together, par, new int[]{tokens});
                for (int i = 0; i < alone.length; i++) {
                    assertEquals(Float.floatToIntBits(alone[i]), Float.floatToIntBits(together[i]), type + " at " + i);
                }
            }
            QuantMatrix wider = randomMatrix(GgmlType.Q4_K, 8, 2 * cols, rnd);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> wider.matmul(shared, new float[tokens * 8], par, new int[]{tokens}));
            assertTrue(e.getMessage().contains("512 and 1024"), e.getMessage());
        }
    }

    /** n_in of a test matrix: whole blocks of the type, plus an odd tail for unblocked types. */
    private static int cols(GgmlType type, int blocks) {
        return Math.max(type.blockSize(), 32) * blocks + (type.blockSize() == 1 ? 3 : 0);
    }

    /** Gaussian weights quantized to the type by ggml, read as a QuantMatrix. */
    private static QuantMatrix randomMatrix(GgmlType type, int rows, int cols, Random rnd) {
        byte[] q = RowQuantizer.quantize(type.id(), gaussian(rnd, rows * cols), rows, cols, null);
        return new QuantMatrix("w", type, MemorySegment.ofArray(q), cols, rows);
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }
}
