package io.jdpo.model;

import io.jdpo.tensor.GgmlOrder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Elementwise steps on vectors held to their scalar references. */
class OpsTest {
    @Test
    void swigluOnVectorsHasTheScalarReferencesBits() {
        Assumptions.assumeTrue(GgmlOrder.LANES > 0, "ggml's order is unknown on this machine");
        Random rnd = new Random(5);
        // Rows with a tail past whole ggml vectors, at an offset; gates from tiny to past expf's normal range.
        int n = 5 * GgmlOrder.LANES + 3, off = 7;
        float[] g = new float[off + n], u = new float[off + n];
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(4) - 1));
            u[i] = (float) rnd.nextGaussian();
        }
        g[off] = 120f;
        g[off + 1] = -120f;
        g[off + 2] = 0f;
        g[off + 3] = -0f;
        g[off + 4] = 95f;
        float[] vector = new float[off + n], scalar = new float[off + n];
        Ops.swigluInGgmlOrder(g, u, vector, off, n);
        Ops.swigluInGgmlOrderScalar(g, u, scalar, off, n);
        for (int i = 0; i < g.length; i++) {
            assertEquals(Float.floatToRawIntBits(scalar[i]), Float.floatToRawIntBits(vector[i]), "value " + i + ": silu(" + g[i] + ")·" + u[i]);
        }
    }
}
