package io.jdpo.numeric;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The deterministic double exponential: its lanes against its one value at a time, and both against Math.exp. */
class DoubleExpTest {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    @Test
    void withinTwoUlpsOfMathExp() {
        Random rnd = new Random(3);
        for (int k = 0; k < 200_000; k++) {
            double x = k < 100_000 ? -rnd.nextDouble() * 40 : rnd.nextDouble() * 1417 - 708;
            double want = Math.exp(x), got = DoubleExp.of(x);
            assertTrue(Math.abs(got - want) <= 2 * Math.ulp(want), "x " + x + ": " + got + " against " + want);
        }
        assertEquals(1.0, DoubleExp.of(0));
        assertEquals(1.0, DoubleExp.of(-0.0));
        assertEquals(0.0, DoubleExp.of(Double.NEGATIVE_INFINITY));
        assertEquals(0.0, DoubleExp.of(-708.5));
        assertTrue(Double.isNaN(DoubleExp.of(Double.NaN)));
        assertEquals(Math.exp(-708), DoubleExp.of(-708), 2 * Math.ulp(Math.exp(-708)));
    }

    @Test
    void lanesHaveTheBitsOfOneValueAtATime() {
        Random rnd = new Random(4);
        double[] x = new double[4096 * D.length()];
        for (int i = 0; i < x.length; i++) x[i] = -rnd.nextDouble() * Math.pow(10, rnd.nextInt(4) - 1) * 8;
        double[] special = {0, -0.0, 1e-300, -1e-300, 5, 709, -707.9, -708, -708.0000001, -745.2, -1e6,
                Double.NEGATIVE_INFINITY, Double.NaN, Math.log(2) / 2, -Math.log(2) / 2};
        System.arraycopy(special, 0, x, 0, special.length);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i += D.length()) DoubleExp.lanes(DoubleVector.fromArray(D, x, i)).intoArray(y, i);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Double.doubleToRawLongBits(DoubleExp.of(x[i])), Double.doubleToRawLongBits(y[i]), "x " + x[i]);
        }
    }
}
