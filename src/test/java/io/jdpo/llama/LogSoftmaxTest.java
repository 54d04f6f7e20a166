package io.jdpo.llama;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vector log-sum-exp against its scalar reference, on rows of every length to 70 and a vocabulary-sized one. */
class LogSoftmaxTest {
    @Test
    void vectorEqualsScalarWithinDoubleRounding() {
        Random rnd = new Random(7);
        for (int n = 1; n <= 70; n++) check(row(rnd, n));
        check(row(rnd, 32000));
        float[] masked = row(rnd, 300);
        for (int i = 0; i < masked.length; i += 3) masked[i] = Float.NEGATIVE_INFINITY;
        check(masked);
    }

    @Test
    void largeLogitsDoNotOverflow() {
        float[] row = {1e30f, 1e30f, -1e30f};
        assertEquals(1e30 + Math.log(2), LogSoftmax.vector(row), 1e24);
        assertTrue(Double.isFinite(LogSoftmax.logSumExp(row)));
    }

    private static float[] row(Random rnd, int n) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) r[i] = (float) (rnd.nextGaussian() * 4);
        return r;
    }

    private static void check(float[] row) {
        double ref = LogSoftmax.scalar(row), got = LogSoftmax.vector(row);
        assertEquals(ref, got, 1e-13 * Math.max(1, Math.abs(ref)), "n=" + row.length);
        // What scoring returns, a float log-prob, is the same.
        assertEquals((float) (row[0] - ref), (float) (row[0] - got), Math.ulp(row[0] - (float) ref), "n=" + row.length);
    }
}
