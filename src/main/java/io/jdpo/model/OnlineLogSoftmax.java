package io.jdpo.model;

import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.QuantMatrix;
import io.jdpo.tensor.VectorMath;

import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * log p(target) for rows of vocabulary logits that arrive a panel of vocabulary entries at a
 * time ({@link QuantMatrix#matmulPanels}), so no row of logits is ever stored whole: per row
 * a running max and a sum of exp(z − max) in double, rescaled when the max grows, and the
 * target's logit caught as its panel passes. Each thread's range of the vocabulary keeps its
 * own state; the ranges are merged in vocabulary order, so the result does not depend on
 * timing.
 */
final class OnlineLogSoftmax implements QuantMatrix.PanelSink {
    private final int[] targets;
    private final float[] max;
    private final double[] sum;
    /** Per row Σ e^(z − max)·z (rescaled with sum), when the entropy is asked for; else null. */
    private final double[] sumZ;
    private final float[] targetLogit;
    /** Gemma's final-logit soft cap (0 = none), applied to each panel as it arrives. */
    private final float cap;
    /** A panel row's two sums ({@link VectorMath#expSums}); one sink per thread's range. */
    private final double[] sums = new double[2];

    private OnlineLogSoftmax(int[] targets, int rows, float cap, boolean entropy) {
        this.targets = targets;
        this.cap = cap;
        this.max = new float[rows];
        this.sum = new double[rows];
        this.sumZ = entropy ? new double[rows] : null;
        this.targetLogit = new float[rows];
        java.util.Arrays.fill(max, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(targetLogit, Float.NaN);
    }

    /**
     * log-softmax(W·rows[i])[targets[i]] for the n rows (n × W.cols, already normalised), W
     * the output projection; with {@code cap} > 0 the logits are soft-capped first.
     */
    /** The rows of one decode of n rows that repack.cpp's gemv makes; null when none. */
    static boolean[] gemv(int n) {
        boolean[] g = new boolean[n];
        boolean any = false;
        for (int k = 0; k < n; k++) any |= g[k] = QuantMatrix.inRepackGemv(k, n);
        return any ? g : null;
    }

    static float[] logProbs(QuantMatrix output, float[] rows, int n, int[] targets, float cap, Parallel par) {
        return logProbs(output, rows, n, n, gemv(n), targets, cap, par, null, null);
    }

    /**
     * As above; {@code top[i]} (when top is not null) receives row i's largest log-prob, computed
     * as the target's is, so the target is the row's most likely token exactly when its log-prob
     * equals that value; {@code entropy[i]} (when not null) the entropy of row i's distribution,
     * −Σ p·log p = logsumexp(z) − Σ p·z, in nats. {@code batchRows} and {@code gemv}: the rows
     * of llama.cpp's decode these are and those of its repack gemv ({@link QuantMatrix#matmulPanels}).
     */
    static float[] logProbs(QuantMatrix output, float[] rows, int n, int batchRows, boolean[] gemv, int[] targets, float cap, Parallel par,
                            float[] top, float[] entropy) {
        Map<Integer, OnlineLogSoftmax> ranges = new ConcurrentSkipListMap<>();
        output.matmulPanels(rows, n, batchRows, gemv, par, r0 -> {
            OnlineLogSoftmax s = new OnlineLogSoftmax(targets, n, cap, entropy != null);
            ranges.put(r0, s);
            return s;
        });
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            float m = Float.NEGATIVE_INFINITY, target = Float.NaN;
            for (OnlineLogSoftmax s : ranges.values()) {
                m = Math.max(m, s.max[i]);
                if (!Float.isNaN(s.targetLogit[i])) target = s.targetLogit[i];
            }
            double total = 0, totalZ = 0;
            for (OnlineLogSoftmax s : ranges.values()) {
                double scale = Math.exp(s.max[i] - m);
                total += s.sum[i] * scale;
                if (entropy != null) totalZ += s.sumZ[i] * scale;
            }
            out[i] = (float) (target - (m + Math.log(total)));
            if (top != null) top[i] = (float) (m - (m + Math.log(total)));
            if (entropy != null) entropy[i] = (float) (m + Math.log(total) - totalZ / total);
        }
        return out;
    }

    @Override
    public void accept(int r0, int n, float[] y) {
        if (cap > 0) SoftCap.apply(y, 0, max.length * n, cap);
        for (int i = 0; i < max.length; i++) {
            int o = i * n;
            float m = Math.max(max[i], VectorMath.max(y, o, n));
            if (m > max[i]) {
                double rescale = Math.exp(max[i] - m);
                sum[i] *= rescale;
                if (sumZ != null) sumZ[i] *= rescale;
                max[i] = m;
            }
            VectorMath.expSums(y, o, n, m, sums);
            sum[i] += sums[0];
            if (sumZ != null) sumZ[i] += sums[1];
            int t = targets[i] - r0;
            if (t >= 0 && t < n) targetLogit[i] = y[o + t];
        }
    }
}
