package io.jdpo.numeric;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * e^x in double made of IEEE steps alone (fused multiply-adds, adds, bit moves), so that a
 * vector lane ({@link #lanes}) and one value at a time ({@link #of}) give the same bits,
 * compiled or interpreted. The Vector API's own EXP does not: interpreted it is
 * {@link Math#exp}'s, compiled another library's, so a sum of them would depend on what the
 * JIT had compiled yet. Within 2 ulps of {@link Math#exp} (DoubleExpTest).
 * <p>
 * x = n·ln 2 + r with n the nearest integer to x/ln 2 (|r| ≤ ln 2 / 2), e^r from its Taylor
 * series to r¹³ (the first term left out is below 5e-18), times 2^n made from n's bits.
 * Below −708 (where 2^n leaves the normal doubles) the result is 0, exact to the last
 * subnormal's worth; NaN stays NaN. Callers pass x ≤ 0 (a value less its row's maximum) or a
 * little above; above 709 the result would overflow and is not defined here.
 */
public final class DoubleExp {
    private static final double LOG2E = 0x1.71547652b82fep0;
    /** ln 2 in two parts: the first with 33 significant bits, so n·LN2_HI is exact for any n here (|n| ≤ 1022). */
    private static final double LN2_HI = 0x1.62e42feep-1, LN2_LO = 0x1.a39ef35793c76p-33;
    /** Adding 1.5·2^52 rounds a double below 2^51 to an integer and leaves it in the low bits. */
    private static final double SHIFTER = 0x1.8p52;
    private static final long SHIFTER_BITS = Double.doubleToRawLongBits(SHIFTER);
    private static final double FLOOR = -708;
    /** 1/k! for k = 13 down to 2. */
    private static final double[] TAYLOR = taylor();

    private DoubleExp() {
    }

    private static double[] taylor() {
        double[] c = new double[12];
        for (int k = 13; k >= 2; k--) {
            double f = 1;
            for (int j = 2; j <= k; j++) f *= j;
            c[13 - k] = 1 / f;
        }
        return c;
    }

    /**
     * One value.
     *
     * @param x the exponent, at most 709
     * @return e^x, the bits of {@link #lanes}' lane
     */
    public static double of(double x) {
        if (x < FLOOR) return 0;
        double t = Math.fma(x, LOG2E, SHIFTER), n = t - SHIFTER;
        double r = Math.fma(n, -LN2_LO, Math.fma(n, -LN2_HI, x));
        double p = TAYLOR[0];
        for (int k = 1; k < TAYLOR.length; k++) p = Math.fma(p, r, TAYLOR[k]);
        p = Math.fma(Math.fma(p, r, 1), r, 1);
        return p * Double.longBitsToDouble((Double.doubleToRawLongBits(t) - SHIFTER_BITS + 1023) << 52);
    }

    /**
     * Every lane of x.
     *
     * @param x the exponents, each at most 709
     * @return e^x lane by lane, each the bits {@link #of} gives
     */
    public static DoubleVector lanes(DoubleVector x) {
        VectorSpecies<Double> s = x.species();
        DoubleVector t = x.fma(LOG2E, SHIFTER), n = t.sub(SHIFTER);
        DoubleVector r = n.fma(DoubleVector.broadcast(s, -LN2_LO), n.fma(DoubleVector.broadcast(s, -LN2_HI), x));
        DoubleVector p = DoubleVector.broadcast(s, TAYLOR[0]), one = DoubleVector.broadcast(s, 1);
        for (int k = 1; k < TAYLOR.length; k++) p = p.fma(r, DoubleVector.broadcast(s, TAYLOR[k]));
        p = p.fma(r, one).fma(r, one);
        LongVector bits = ((LongVector) t.viewAsIntegralLanes()).sub(SHIFTER_BITS - 1023).lanewise(VectorOperators.LSHL, 52);
        return p.mul((DoubleVector) bits.viewAsFloatingLanes()).blend(0, x.compare(VectorOperators.LT, FLOOR));
    }
}
