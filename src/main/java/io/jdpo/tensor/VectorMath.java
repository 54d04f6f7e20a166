package io.jdpo.tensor;

import io.jdpo.numeric.DoubleExp;
import io.jdpo.numeric.LaneSum;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** Reductions and elementwise steps over float arrays that the model shares. */
public final class VectorMath {
    private VectorMath() {
    }

    /** Double lanes of one vector, and the floats that widen into them. */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, Simd.F.vectorShape());
    private static final VectorSpecies<Float> HALF = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));

    /**
     * log Σ exp(z[o..o+n)), max-shifted and summed in double ({@link #expSums}): the
     * normaliser of a log-softmax. The exponential is {@link DoubleExp}'s on vectors and off,
     * so a row's result is the same however the JIT has compiled it (a 32000-token row took
     * 200 µs in calls of {@link Math#exp}, now 34).
     *
     * @param z the logits
     * @param o index in {@code z} of the first
     * @param n how many, ≥ 1
     * @return the log of the sum of their exponentials; NaN if any value is NaN or +∞
     */
    public static double logSumExp(float[] z, int o, int n) {
        float max = max(z, o, n);
        double[] sums = new double[2];
        expSums(z, o, n, max, sums);
        return max + Math.log(sums[0]);
    }

    /**
     * Σ e^(z − shift) and Σ e^(z − shift)·z over z[o..o+n), in double, each z − shift rounded
     * in float first (then widened exactly); on vectors each lane keeps its own sums, added at
     * the end in lane order ({@link LaneSum}). A log-softmax's sums when shift is the row's maximum (or a running one).
     *
     * @param z     the logits
     * @param o     index in {@code z} of the first
     * @param n     how many
     * @param shift subtracted from each before the exponential
     * @param sums  receives Σ e^(z − shift) at [0] and Σ e^(z − shift)·z at [1]
     */
    public static void expSums(float[] z, int o, int n, float shift, double[] sums) {
        int i = 0;
        double sum = 0, weighted = 0;
        if (Simd.VECTOR) {
            DoubleVector s = DoubleVector.zero(D), w = s;
            for (int L = D.length(); i + L <= n; i += L) {
                FloatVector x = FloatVector.fromArray(HALF, z, o + i);
                DoubleVector e = DoubleExp.lanes(widened(x.sub(shift)));
                s = s.add(e);
                w = e.fma(widened(x), w);
            }
            sum = LaneSum.inOrder(s);
            weighted = LaneSum.inOrder(w);
        }
        for (; i < n; i++) {
            double e = DoubleExp.of(z[o + i] - shift);
            sum += e;
            weighted = Math.fma(e, z[o + i], weighted);
        }
        sums[0] = sum;
        sums[1] = weighted;
    }

    /**
     * z[o..o+n) ← e^(z − shift) rounded to float (z − shift rounded in float first, the
     * exponential {@link DoubleExp}'s), and the sum of those floats in double: a softmax row's
     * numerators and their sum. −∞ gives 0.
     *
     * @param z     the values; on return their exponentials
     * @param o     index in {@code z} of the first
     * @param n     how many
     * @param shift subtracted from each first (the row's maximum, finite)
     * @return the sum of the new values; on vectors lane by lane, then the lanes in order
     */
    public static double expInPlace(float[] z, int o, int n, float shift) {
        int i = 0;
        double sum = 0;
        if (Simd.VECTOR) {
            DoubleVector s = DoubleVector.zero(D);
            for (int L = D.length(); i + L <= n; i += L) {
                FloatVector e = (FloatVector) DoubleExp.lanes(widened(FloatVector.fromArray(HALF, z, o + i).sub(shift)))
                        .convertShape(VectorOperators.D2F, HALF, 0);
                e.intoArray(z, o + i);
                s = s.add(widened(e));
            }
            sum = LaneSum.inOrder(s);
        }
        for (; i < n; i++) {
            z[o + i] = (float) DoubleExp.of(z[o + i] - shift);
            sum += z[o + i];
        }
        return sum;
    }

    /**
     * The largest of z[o..o+n), on vectors where they are on (the order does not change it).
     *
     * @param z the values
     * @param o index in {@code z} of the first
     * @param n how many
     * @return their maximum; NaN if one is NaN, −∞ if n is 0
     */
    public static float max(float[] z, int o, int n) {
        float max = Float.NEGATIVE_INFINITY;
        int i = 0;
        if (Simd.VECTOR) {
            FloatVector m = FloatVector.broadcast(Simd.F, max);
            for (int L = Simd.F.length(); i + L <= n; i += L) m = m.max(FloatVector.fromArray(Simd.F, z, o + i));
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) max = Math.max(max, z[o + i]);
        return max;
    }

    /**
     * z[o..o+n) ← z·s, each product rounded once (the bits of the scalar loop).
     *
     * @param z the values, scaled in place
     * @param o index in {@code z} of the first
     * @param n how many
     * @param s the factor
     */
    public static void scale(float[] z, int o, int n, float s) {
        int i = 0;
        if (Simd.VECTOR) {
            for (int L = Simd.F.length(); i + L <= n; i += L) FloatVector.fromArray(Simd.F, z, o + i).mul(s).intoArray(z, o + i);
        }
        for (; i < n; i++) z[o + i] *= s;
    }

    /**
     * Σ a[i]·b[i] over [o, o+n), each product and sum in double (the floats widened exactly);
     * on vectors lane by lane, then the lanes in order ({@link LaneSum}), then the values after
     * the last whole vector.
     *
     * @param a the first values
     * @param b the second values
     * @param o index of the first in both
     * @param n how many
     * @return the sum
     */
    public static double dot(float[] a, float[] b, int o, int n) {
        int i = 0;
        double sum = 0;
        if (Simd.VECTOR) {
            DoubleVector s = DoubleVector.zero(D);
            for (int L = D.length(); i + L <= n; i += L) {
                s = widened(FloatVector.fromArray(HALF, a, o + i)).fma(widened(FloatVector.fromArray(HALF, b, o + i)), s);
            }
            sum = LaneSum.inOrder(s);
        }
        for (; i < n; i++) sum = Math.fma(a[o + i], (double) b[o + i], sum);
        return sum;
    }

    private static DoubleVector widened(FloatVector v) {
        return (DoubleVector) v.convertShape(VectorOperators.F2D, D, 0);
    }

    /**
     * A log-softmax row's gradient: z[o..o+n) becomes −softmax(z) (p = e^(z − lse), the
     * target's +1 is the caller's), and moments receives Σ p² and Σ p·z (the entropy and
     * collision terms the trainer logs). Both sums in double, lane by lane on vectors (then the lanes in order);
     * the exponential {@link DoubleExp}'s.
     *
     * @param z       the logits; on return −p
     * @param o       index in {@code z} of the first
     * @param n       how many
     * @param lse     the row's {@link #logSumExp}
     * @param moments receives Σ p² at [0] and Σ p·z at [1]
     */
    public static void negatedSoftmax(float[] z, int o, int n, double lse, double[] moments) {
        int i = 0;
        double squares = 0, pz = 0;
        if (Simd.VECTOR) {
            DoubleVector sq = DoubleVector.zero(D), zp = sq;
            for (int L = D.length(); i + L <= n; i += L) {
                DoubleVector zd = widened(FloatVector.fromArray(HALF, z, o + i)), p = DoubleExp.lanes(zd.sub(lse));
                sq = p.fma(p, sq);
                zp = p.fma(zd, zp);
                ((FloatVector) p.neg().convertShape(VectorOperators.D2F, HALF, 0)).intoArray(z, o + i);
            }
            squares = LaneSum.inOrder(sq);
            pz = LaneSum.inOrder(zp);
        }
        for (; i < n; i++) {
            double zd = z[o + i], p = DoubleExp.of(zd - lse);
            squares = Math.fma(p, p, squares);
            pz = Math.fma(p, zd, pz);
            z[o + i] = (float) -p;
        }
        moments[0] = squares;
        moments[1] = pz;
    }

    /**
     * A row-major matrix transposed (the backward's products want the activations' columns
     * as rows).
     *
     * @param m    rows × cols, row-major
     * @param rows rows of {@code m}
     * @param cols columns of {@code m}
     * @return a new cols × rows row-major array
     */
    public static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
        }
        return t;
    }

    /**
     * y[yo + i] += s · x[xo + i] for i &lt; n, the product rounded before the sum (no fused
     * multiply-add: llama.cpp scales a LoRA product, then adds it), the same bits on the vector
     * and the scalar path.
     *
     * @param y  added to
     * @param yo index in {@code y} of the first value
     * @param s  the scale
     * @param x  the values scaled
     * @param xo index in {@code x} of the first value
     * @param n  how many
     */
    public static void addScaled(float[] y, int yo, float s, float[] x, int xo, int n) {
        int i = 0;
        if (Simd.VECTOR) {
            for (int L = Simd.F.length(); i + L <= n; i += L) {
                FloatVector.fromArray(Simd.F, x, xo + i).mul(s).add(FloatVector.fromArray(Simd.F, y, yo + i)).intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) y[yo + i] += s * x[xo + i];
    }

    /**
     * The backward of SwiGLU's act = silu(g)·u over [from, to): du = dAct·silu(g), and dAct
     * becomes dAct·u·silu'(g), one exponential for both (silu(g) = g·σ(g), silu'(g) =
     * σ(g)·(1 + g·(1 − σ(g)))). The exponential is ggml's expf, the forward's own: made of exact
     * float steps, it gives the same bits on vectors ({@link GgmlOrder#expfLanes}) as one value
     * at a time, compiled or not (the Vector API's EXP does not: interpreted, it is Math.exp's,
     * so a run's bits would depend on what the JIT had compiled yet). The whole step was 1% of
     * a DPO step one value at a time.
     *
     * @param g    the gate's outputs
     * @param u    the up projection's outputs
     * @param dAct on entry the gradient of act, on return that of g
     * @param du   receives the gradient of u
     * @param from the first index
     * @param to   one past the last
     */
    public static void siluGateBackward(float[] g, float[] u, float[] dAct, float[] du, int from, int to) {
        int i = from;
        if (GgmlOrder.lanesFit()) {
            VectorSpecies<Float> s = GgmlOrder.species();
            FloatVector one = FloatVector.broadcast(s, 1f), zero = FloatVector.zero(s);
            for (int L = s.length(); i + L <= to; i += L) {
                FloatVector x = FloatVector.fromArray(s, g, i), d = FloatVector.fromArray(s, dAct, i);
                FloatVector sig = one.div(one.add(GgmlOrder.expfLanes(zero.sub(x))));
                d.mul(x.mul(sig)).intoArray(du, i);
                d.mul(FloatVector.fromArray(s, u, i).mul(sig.mul(one.add(x.mul(one.sub(sig)))))).intoArray(dAct, i);
            }
        }
        siluGateBackwardScalar(g, u, dAct, du, i, to);
    }

    /**
     * The reference of {@link #siluGateBackward}: the same steps one value at a time.
     *
     * @param g    the gate's outputs
     * @param u    the up projection's outputs
     * @param dAct on entry the gradient of act, on return that of g
     * @param du   receives the gradient of u
     * @param from the first index
     * @param to   one past the last
     */
    public static void siluGateBackwardScalar(float[] g, float[] u, float[] dAct, float[] du, int from, int to) {
        for (int i = from; i < to; i++) {
            float x = g[i], sig = 1f / (1f + GgmlOrder.expf(0f - x));
            du[i] = dAct[i] * (x * sig);
            dAct[i] *= u[i] * (sig * (1f + x * (1f - sig)));
        }
    }
}
