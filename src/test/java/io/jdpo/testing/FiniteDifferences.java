package io.jdpo.testing;

import io.jdpo.tensor.SegmentMath;

import java.lang.foreign.MemorySegment;
import java.util.function.DoubleSupplier;

/**
 * Central finite differences of a scalar function of the floats in a segment (an adapter's
 * parameters), for holding backward passes to their forwards.
 */
public final class FiniteDifferences {
    private FiniteDifferences() {
    }

    /**
     * (f(v + h) − f(v − h)) / 2h at entry i of p (restored afterwards).
     *
     * @param p the parameters
     * @param i the entry
     * @param h the step
     * @param f the function, reading p
     * @return the derivative estimate
     */
    public static double central(MemorySegment p, long i, float h, DoubleSupplier f) {
        float v = SegmentMath.get(p, i);
        SegmentMath.set(p, i, v + h);
        double up = f.getAsDouble();
        SegmentMath.set(p, i, v - h);
        double down = f.getAsDouble();
        SegmentMath.set(p, i, v);
        return (up - down) / (2 * h);
    }

    /**
     * The five-point stencil (f(−2h) − 8f(−h) + 8f(h) − f(2h)) / 12h at entry i of p (restored
     * afterwards): its truncation error is O(h⁴), so the step can be large enough that float
     * rounding in the forward stops dominating the difference.
     *
     * @param p the parameters
     * @param i the entry
     * @param h the step
     * @param f the function, reading p
     * @return the derivative estimate
     */
    public static double fivePoint(MemorySegment p, long i, float h, DoubleSupplier f) {
        float v = SegmentMath.get(p, i);
        double[] vals = new double[4];
        float[] at = {v - 2 * h, v - h, v + h, v + 2 * h};
        for (int k = 0; k < 4; k++) {
            SegmentMath.set(p, i, at[k]);
            vals[k] = f.getAsDouble();
        }
        SegmentMath.set(p, i, v);
        return (vals[0] - 8 * vals[1] + 8 * vals[2] - vals[3]) / (12 * h);
    }
}
