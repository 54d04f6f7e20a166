package io.jdpo.train;

import io.jdpo.model.LoraWeights;
import io.jdpo.tensor.SegmentMath;

import java.lang.foreign.MemorySegment;

/**
 * AdamW (Loshchilov &amp; Hutter) over a LoRA adapter's slab: moments in two more slabs of the
 * same layout, bias-corrected, weight decay applied to the parameters directly (decoupled).
 * Plain scalar loop: the adapter is tiny next to the model, and a fixed order keeps updates
 * bit-identical.
 */
public final class AdamW implements AutoCloseable {
    private final double beta1, beta2, eps, weightDecay;
    private final LoraWeights m, v;
    private int steps;

    public AdamW(LoraWeights params, double beta1, double beta2, double eps, double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.m = params.zerosLike();
        this.v = params.zerosLike();
    }

    /** PyTorch's defaults (β = 0.9, 0.999; ε = 1e-8) with TRL's weight decay of 0. */
    public static AdamW standard(LoraWeights params) {
        return new AdamW(params, 0.9, 0.999, 1e-8, 0);
    }

    /** One update of params from grads at learning rate lr. */
    public void step(LoraWeights params, LoraWeights grads, double lr) {
        steps++;
        double c1 = 1 - Math.pow(beta1, steps), c2 = 1 - Math.pow(beta2, steps);
        MemorySegment p = params.slab(), g = grads.slab(), ms = m.slab(), vs = v.slab();
        long n = params.parameterCount();
        for (long i = 0; i < n; i++) {
            double gi = SegmentMath.get(g, i);
            double mi = beta1 * SegmentMath.get(ms, i) + (1 - beta1) * gi;
            double vi = beta2 * SegmentMath.get(vs, i) + (1 - beta2) * gi * gi;
            SegmentMath.set(ms, i, (float) mi);
            SegmentMath.set(vs, i, (float) vi);
            double pi = SegmentMath.get(p, i);
            pi -= lr * weightDecay * pi;
            pi -= lr * (mi / c1) / (Math.sqrt(vi / c2) + eps);
            SegmentMath.set(p, i, (float) pi);
        }
    }

    /** Updates taken so far (the bias-correction count). */
    public int steps() {
        return steps;
    }

    LoraWeights firstMoment() {
        return m;
    }

    LoraWeights secondMoment() {
        return v;
    }

    void restore(int steps) {
        this.steps = steps;
    }

    @Override
    public void close() {
        m.close();
        v.close();
    }
}
