package io.jdpo.llama;

import io.jdpo.numeric.DoubleExp;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The log-sum-exp of exact scoring: on vectors bit for bit the sums its lanes are defined to
 * make, and both paths against Math.exp in double, on rows of every length to 70 and a
 * vocabulary-sized one.
 */
class LogSoftmaxTest {
    @Test
    void vectorIsItsLaneSumsInOrderAndNearMathExp() {
        Random rnd = new Random(7);
        for (int n = 1; n <= 70; n++) check(row(rnd, n));
        check(row(rnd, 32000));
        float[] masked = row(rnd, 300);
        for (int i = 0; i < masked.length; i += 3) masked[i] = Float.NEGATIVE_INFINITY;
        check(masked);
    }

    @Test
    void theSameBitsAfterTheJitCompiledIt() {
        // Interpreted at first, compiled later: a row's normaliser must not move in between.
        float[] row = row(new Random(8), 32000);
        float max = max(row);
        long first = Double.doubleToRawLongBits(LogSoftmax.vectorSum(row, max));
        for (int k = 0; k < 3000; k++) {
            assertEquals(first, Double.doubleToRawLongBits(LogSoftmax.vectorSum(row, max)), "call " + k);
        }
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
        double ref = mathExp(row);
        for (double got : new double[]{LogSoftmax.scalar(row), LogSoftmax.vector(row)}) {
            assertEquals(ref, got, 1e-13 * Math.max(1, Math.abs(ref)), "n=" + row.length);
            // What scoring returns, a float log-prob, is the same.
            assertEquals((float) (row[0] - ref), (float) (row[0] - got), Math.ulp(row[0] - (float) ref), "n=" + row.length);
        }
        // The sum itself (a last-bit change in it seldom reaches its logarithm).
        assertEquals(Double.doubleToRawLongBits(lanesInOrder(row)), Double.doubleToRawLongBits(LogSoftmax.vectorSum(row, max(row))), "n=" + row.length);
    }

    /** The definition with Math.exp, in double. */
    private static double mathExp(float[] row) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : row) max = Math.max(max, v);
        double sum = 0;
        for (float v : row) sum += Math.exp(v - max);
        return max + Math.log(sum);
    }

    private static float max(float[] row) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : row) max = Math.max(max, v);
        return max;
    }

    /** The sum the vector path promises, one value at a time: per-lane sums, the lanes in order, then the tail. */
    private static double lanesInOrder(float[] row) {
        int lanes = LogSoftmax.lanes(), whole = row.length / lanes * lanes;
        float max = max(row);
        double[] lane = new double[lanes];
        for (int i = 0; i < whole; i++) lane[i % lanes] += DoubleExp.of(row[i] - max);
        double sum = lane[0];
        for (int l = 1; l < lanes; l++) sum += lane[l];
        for (int i = whole; i < row.length; i++) sum += DoubleExp.of(row[i] - max);
        return sum;
    }
}
