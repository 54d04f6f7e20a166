package io.jdpo.numeric;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Lanes added in lane order, at every vector shape the JVM offers, with values whose sum depends on the order. */
class LaneSumTest {
    @Test
    void addsLaneAfterLane() {
        Random rnd = new Random(5);
        for (VectorShape shape : new VectorShape[]{VectorShape.S_128_BIT, VectorShape.S_256_BIT, VectorShape.S_512_BIT, VectorShape.S_Max_BIT}) {
            VectorSpecies<Double> d = VectorSpecies.of(double.class, shape);
            double[] x = new double[d.length()];
            for (int k = 0; k < 20_000; k++) {
                // Large and small lanes of both signs, so pairwise and in-order sums differ in their last bits.
                for (int l = 0; l < x.length; l++) x[l] = rnd.nextGaussian() * Math.pow(10, rnd.nextInt(17) - 8);
                double want = x[0];
                for (int l = 1; l < x.length; l++) want += x[l];
                assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(LaneSum.inOrder(DoubleVector.fromArray(d, x, 0))),
                        shape + " lanes " + java.util.Arrays.toString(x));
            }
        }
    }
}
