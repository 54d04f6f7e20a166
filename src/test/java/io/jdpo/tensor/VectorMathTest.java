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
}
