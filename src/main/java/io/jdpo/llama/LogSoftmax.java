package io.jdpo.llama;

import io.jdpo.numeric.DoubleExp;
import io.jdpo.numeric.LaneSum;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * log softmax(logits)[target], computed stably: max-shifted, the exponentials and their sum in
 * double. Exact scoring runs this once per scored position over the whole vocabulary, so it
 * runs on vectors (a 32000-token row in a fifth of the time of calls to {@link Math#exp}). The
 * exponential is {@link DoubleExp}'s and the lanes are added in order ({@link LaneSum}), so a
 * row's normaliser has the same bits whatever the JIT has compiled yet: the Vector API's own
 * EXP and lane sum do not promise that, and the reference log-probs a run caches, and a
 * resumed run scores again, must not move. {@code -Djdpo.simd=scalar} keeps it one value at a
 * time.
 */
final class LogSoftmax {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Floats that widen into one vector of doubles. */
    private static final VectorSpecies<Float> HALF = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    private static final boolean VECTOR = D.length() >= 2 && !"scalar".equals(System.getProperty("jdpo.simd"));

    private LogSoftmax() {
    }

    /** log Σ exp(logits), the normaliser every target of this row shares. */
    static double logSumExp(float[] logits) {
        return VECTOR ? vector(logits) : scalar(logits);
    }

    /** {@return the double lanes {@link #vector} sums in} */
    static int lanes() {
        return D.length();
    }

    /** One value at a time, the path without vectors. */
    static double scalar(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double sum = 0;
        for (float v : logits) sum += DoubleExp.of(v - max);
        return max + Math.log(sum);
    }

    /** On vectors ({@link #vectorSum}). */
    static double vector(float[] logits) {
        int n = logits.length, i = 0;
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (; i + F.length() <= n; i += F.length()) m = m.max(FloatVector.fromArray(F, logits, i));
        float max = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) max = Math.max(max, logits[i]);
        return max + Math.log(vectorSum(logits, max));
    }

    /**
     * Σ e^(v − max) on vectors: lane l sums values l, l + {@link #lanes()}, ..., then the lanes
     * are added in order, then the values after the last whole vector.
     */
    static double vectorSum(float[] logits, float max) {
        int n = logits.length, i = 0;
        DoubleVector sums = DoubleVector.zero(D);
        for (; i + D.length() <= n; i += D.length()) {
            // v − max in float, as the scalar path rounds it, then widened exactly.
            DoubleVector x = (DoubleVector) FloatVector.fromArray(HALF, logits, i).sub(max).convertShape(VectorOperators.F2D, D, 0);
            sums = sums.add(DoubleExp.lanes(x));
        }
        double sum = LaneSum.inOrder(sums);
        for (; i < n; i++) sum += DoubleExp.of(logits[i] - max);
        return sum;
    }
}
