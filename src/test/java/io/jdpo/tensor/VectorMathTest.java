package io.jdpo.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The model's shared elementwise steps on vectors held to their scalar references. */
class VectorMathTest {
    @Test
    void siluGateBackwardOnVectorsIsTheScalarReferenceWithinAnUlpOfTheExponential() {
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
            // A few ulps of the values each gradient is made of: σ's ulp carries through two products.
            float scale = Math.abs(d[i]) * (1 + Math.abs(g[i])) * (1 + Math.abs(u[i]));
            assertEquals(dur[i], duv[i], 4 * Math.ulp(scale), "du at " + i + ", g " + g[i]);
            assertEquals(dr[i], dv[i], 4 * Math.ulp(scale), "dg at " + i + ", g " + g[i]);
        }
    }

    @Test
    void logSumExpAndSoftmaxGradientOnVectorsMatchOneValueAtATime() {
        Random rnd = new Random(7);
        int o = 5, n = 1000 + 3;
        float[] z = new float[o + n + 4];
        for (int i = 0; i < z.length; i++) z[i] = (float) (rnd.nextGaussian() * 4);
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, z[o + i]);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(z[o + i] - max);
        double lse = VectorMath.logSumExp(z, o, n), reference = max + Math.log(s);
        assertEquals(reference, lse, 1e-13 * Math.abs(reference));

        int target = 17;
        float[] grad = z.clone();
        double[] sums = new double[2];
        VectorMath.softmaxGradient(grad, o, n, reference, target, sums);
        double squares = 0, pz = 0;
        for (int i = 0; i < z.length; i++) {
            if (i < o || i >= o + n) {
                assertEquals(z[i], grad[i], 0f, "outside the row at " + i);
                continue;
            }
            double p = Math.exp(z[i] - reference);
            squares += p * p;
            pz += p * z[i];
            float expected = -(float) p + (i == o + target ? 1 : 0);
            assertEquals(expected, grad[i], Math.ulp(expected), "gradient at " + i);
        }
        assertEquals(squares, sums[0], 1e-12 * squares);
        assertEquals(pz, sums[1], 1e-12 * Math.abs(pz) + 1e-15);
    }

    @Test
    void softmaxAndItsBackwardOnVectorsMatchOneValueAtATime() {
        Random rnd = new Random(8);
        for (int n : new int[]{1, 5, 16, 37, 384}) {
            int off = 3;
            float[] scores = new float[off + n + 2];
            for (int i = 0; i < scores.length; i++) scores[i] = (float) (rnd.nextGaussian() * 6);
            float[] fast = scores.clone(), ref = scores.clone();
            VectorMath.softmax(fast, off, n, 0.125f);
            VectorMath.softmaxScalar(ref, off, n, 0.125f);
            for (int i = 0; i < scores.length; i++) {
                // Each probability within a few ulps: its exponential's, and the sum's (added in another order).
                assertEquals(ref[i], fast[i], 4 * Math.ulp(ref[i]), "n " + n + ": p at " + i);
            }
            float[] ds = new float[scores.length], expected = new float[scores.length];
            for (int i = 0; i < ds.length; i++) ds[i] = expected[i] = (float) rnd.nextGaussian();
            double dot = 0;
            for (int i = off; i < off + n; i++) dot += (double) ref[i] * ds[i];
            for (int i = off; i < off + n; i++) expected[i] = ref[i] * (ds[i] - (float) dot) * 0.125f;
            VectorMath.softmaxBackward(ref, ds, off, n, 0.125f);
            for (int i = 0; i < ds.length; i++) {
                assertEquals(expected[i], ds[i], 2 * Math.ulp(Math.abs(ref[i]) * 8f), "n " + n + ": ds at " + i);
            }
        }
    }
}
