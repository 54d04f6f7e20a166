package io.jdpo.llama;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * log softmax(logits)[target], computed stably: max-shifted, the exponentials and their sum in
 * double. Exact scoring runs this once per scored position over the whole vocabulary, so it
 * runs on vectors (a 32000-token row in a quarter of the scalar time): the Vector API's double
 * exp is within an ulp of {@link Math#exp}, and the sum's order differs only in how the lanes
 * split it, far below a float log-prob's last bit. {@code -Djdpo.simd=scalar} keeps it scalar.
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

    /** The reference: one value at a time. */
    static double scalar(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) max = Math.max(max, v);
        double sum = 0;
        for (float v : logits) sum += Math.exp(v - max);
        return max + Math.log(sum);
    }

    static double vector(float[] logits) {
        int n = logits.length, i = 0;
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (; i + F.length() <= n; i += F.length()) m = m.max(FloatVector.fromArray(F, logits, i));
        float max = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) max = Math.max(max, logits[i]);
        DoubleVector sums = DoubleVector.zero(D);
        for (i = 0; i + D.length() <= n; i += D.length()) {
            // v − max in float, as the scalar reference rounds it, then widened exactly.
            DoubleVector x = (DoubleVector) FloatVector.fromArray(HALF, logits, i).sub(max).convertShape(VectorOperators.F2D, D, 0);
            sums = sums.add(x.lanewise(VectorOperators.EXP));
        }
        double sum = sums.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += Math.exp(logits[i] - max);
        return max + Math.log(sum);
    }
}
