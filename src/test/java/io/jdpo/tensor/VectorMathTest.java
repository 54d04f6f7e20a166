package io.jdpo.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
