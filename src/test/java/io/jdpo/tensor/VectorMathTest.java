package io.jdpo.tensor;

import io.jdpo.numeric.DoubleExp;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The model's shared elementwise steps on vectors held to their scalar references. */
class VectorMathTest {
    @Test
    void siluGateBackwardOnVectorsHasTheScalarReferencesBits() {
        Random rnd = new Random(6);
        int from = 3, to = 3 + 7 * 16 + 5;
        float[] g = new float[to + 2], u = new float[to + 2], d = new float[to + 2];
        for (int i = 0; i < g.length; i++) {
            // Gates from tiny to saturated, where σ is 0 or 1 to the bit.
            g[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(4) - 1));
            u[i] = (float) rnd.nextGaussian();
            d[i] = (float) rnd.nextGaussian();
        }
        g[from] = 90f;
        g[from + 1] = -90f;
        float[] dv = d.clone(), dr = d.clone(), duv = new float[g.length], dur = new float[g.length];
        VectorMath.siluGateBackward(g, u, dv, duv, from, to);
        VectorMath.siluGateBackwardScalar(g, u, dr, dur, from, to);
        for (int i = 0; i < g.length; i++) {
            assertEquals(Float.floatToRawIntBits(dur[i]), Float.floatToRawIntBits(duv[i]), "du at " + i + ", g " + g[i]);
            assertEquals(Float.floatToRawIntBits(dr[i]), Float.floatToRawIntBits(dv[i]), "dg at " + i + ", g " + g[i]);
        }
    }

    @Test
    void expSumsAreTheirLanesInOrderWhateverTheJitCompiled() {
        Random rnd = new Random(11);
        int lanes = Simd.VECTOR ? Simd.F.length() / 2 : 1;
        for (int n : new int[]{1, 5, 16, 23, 300, 32000}) {
            float[] z = row(rnd, n + 1);
            float shift = VectorMath.max(z, 1, n);
            // Per-lane sums over whole vectors, then the lanes in order, then the tail: what the kernel is defined to add.
            int whole = n / lanes * lanes;
            double[] lane = new double[lanes], laneW = new double[lanes];
            for (int i = 0; i < whole; i++) {
                double e = DoubleExp.of(z[1 + i] - shift);
                lane[i % lanes] += e;
                laneW[i % lanes] = Math.fma(e, z[1 + i], laneW[i % lanes]);
            }
            double sum = lane[0], weighted = laneW[0];
            for (int l = 1; l < lanes; l++) {
                sum += lane[l];
                weighted += laneW[l];
            }
            for (int i = whole; i < n; i++) {
                double e = DoubleExp.of(z[1 + i] - shift);
                sum += e;
                weighted = Math.fma(e, z[1 + i], weighted);
            }
            // Many calls, so the JIT compiles the loop partway through: every call has the same bits.
            for (int k = 0; k < (n < 1000 ? 2000 : 200); k++) {
                double[] got = new double[2];
                VectorMath.expSums(z, 1, n, shift, got);
                assertEquals(Double.doubleToRawLongBits(sum), Double.doubleToRawLongBits(got[0]), "Σe, n=" + n + ", call " + k);
                assertEquals(Double.doubleToRawLongBits(weighted), Double.doubleToRawLongBits(got[1]), "Σe·z, n=" + n + ", call " + k);
            }
        }
    }

    @Test
    void scaleHasTheScalarBitsAndDotItsLanesInOrder() {
        Random rnd = new Random(13);
        int lanes = Simd.VECTOR ? Simd.F.length() / 2 : 1;
        for (int n : new int[]{1, 4, 7, 8, 9, 16, 33, 70, 384}) {
            float[] z = row(rnd, n + 3), want = z.clone();
            for (int i = 3; i < n + 3; i++) want[i] = z[i] * 0.3f;
            VectorMath.scale(z, 3, n, 0.3f);
            for (int i = 0; i < z.length; i++) assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(z[i]), "scale n=" + n + " at " + i);

            float[] a = row(rnd, n + 2), b = row(rnd, n + 2);
            int whole = n / lanes * lanes;
            double[] lane = new double[lanes];
            double plain = 0;
            for (int i = 0; i < n; i++) plain += (double) a[2 + i] * b[2 + i];
            for (int i = 0; i < whole; i++) lane[i % lanes] += (double) a[2 + i] * b[2 + i];
            double sum = lane[0];
            for (int l = 1; l < lanes; l++) sum += lane[l];
            for (int i = whole; i < n; i++) sum += (double) a[2 + i] * b[2 + i];
            double got = VectorMath.dot(a, b, 2, n);
            assertEquals(Double.doubleToRawLongBits(sum), Double.doubleToRawLongBits(got), "dot n=" + n);
            assertEquals(plain, got, 1e-12 * Math.max(1, Math.abs(plain)), "dot n=" + n);
        }
    }

    @Test
    void logSumExpMatchesMathExpInDouble() {
        Random rnd = new Random(8);
        for (int n = 1; n <= 70; n++) checkLogSumExp(row(rnd, n + 3), 3, n);
        checkLogSumExp(row(rnd, 32000), 0, 32000);
        float[] masked = row(rnd, 300);
        for (int i = 0; i < masked.length; i += 3) masked[i] = Float.NEGATIVE_INFINITY;
        checkLogSumExp(masked, 0, 300);
        float[] huge = {1e30f, 1e30f, -1e30f};
        assertEquals(1e30 + Math.log(2), VectorMath.logSumExp(huge, 0, 3), 1e24);
        float[] nan = row(rnd, 40);
        nan[37] = Float.NaN;
        assertTrue(Double.isNaN(VectorMath.logSumExp(nan, 0, 40)));
        nan[37] = Float.POSITIVE_INFINITY;
        assertTrue(Double.isNaN(VectorMath.logSumExp(nan, 0, 40)));
    }

    @Test
    void negatedSoftmaxMatchesMathExpInDouble() {
        Random rnd = new Random(9);
        for (int n : new int[]{1, 2, 7, 16, 17, 33, 70, 32000}) {
            float[] z = row(rnd, n + 5);
            double lse = VectorMath.logSumExp(z, 5, n), squares = 0, pz = 0;
            float[] want = z.clone();
            for (int i = 5; i < 5 + n; i++) {
                double p = Math.exp(z[i] - lse);
                squares += p * p;
                pz += p * z[i];
                want[i] = (float) -p;
            }
            double[] moments = new double[2];
            VectorMath.negatedSoftmax(z, 5, n, lse, moments);
            for (int i = 0; i < z.length; i++) assertEquals(want[i], z[i], Math.ulp(want[i]), "n=" + n + " at " + i);
            assertEquals(squares, moments[0], 1e-13 * squares, "Σp², n=" + n);
            assertEquals(pz, moments[1], 1e-12 * Math.max(1, Math.abs(pz)), "Σp·z, n=" + n);
        }
    }

    @Test
    void expInPlaceMatchesMathExpRoundedToFloat() {
        Random rnd = new Random(10);
        for (int n : new int[]{1, 3, 8, 9, 31, 64, 257}) {
            float[] z = row(rnd, n + 2);
            // A masked score; the row's maximum stays finite.
            if (n > 1) z[3] = Float.NEGATIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 2; i < n + 2; i++) max = Math.max(max, z[i]);
            float[] want = z.clone();
            double sum = 0;
            for (int i = 2; i < n + 2; i++) {
                want[i] = (float) Math.exp(z[i] - max);
                sum += want[i];
            }
            double got = VectorMath.expInPlace(z, 2, n, max);
            for (int i = 0; i < z.length; i++) assertEquals(want[i], z[i], Math.ulp(want[i]), "n=" + n + " at " + i);
            if (n > 1) assertEquals(0f, z[3], "e^-inf");
            assertEquals(sum, got, 1e-6 * sum, "n=" + n);
        }
    }

    private static float[] row(Random rnd, int n) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) r[i] = (float) (rnd.nextGaussian() * 4);
        return r;
    }

    private static void checkLogSumExp(float[] z, int o, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = o; i < o + n; i++) max = Math.max(max, z[i]);
        double sum = 0;
        for (int i = o; i < o + n; i++) sum += Math.exp(z[i] - max);
        double want = max + Math.log(sum), got = VectorMath.logSumExp(z, o, n);
        assertEquals(want, got, 1e-13 * Math.max(1, Math.abs(want)), "n=" + n);
    }
}
