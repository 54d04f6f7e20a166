package io.jdpo.train;

import io.jdpo.model.LoraWeights;
import io.jdpo.tensor.SegmentMath;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * AdamW (Loshchilov &amp; Hutter) over flat F32 tensors: a LoRA adapter's slab, or every
 * weight of a model in full-parameter training (the demo model's pretraining). Moments live
 * in segments of the same sizes, bias-corrected; weight decay is applied to the parameters
 * directly (decoupled), per tensor. Plain scalar loop: a fixed order keeps updates
 * bit-identical.
 */
public final class AdamW implements AutoCloseable {
    private final double beta1, beta2, eps;
    private final List<MemorySegment> params;
    private final double[] weightDecay;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] m, v;
    private int steps;

    /**
     * Optimizes {@code params} (F32 segments, updated in place) with one weight decay per
     * tensor. The moments are allocated here, off-heap, and freed by {@link #close()}.
     *
     * @param params      the parameter tensors, F32, each a whole number of floats; the optimizer
     *                    keeps them and must not outlive their arena
     * @param weightDecay the decoupled weight decay of each tensor (0 for none), one per tensor
     * @param beta1       decay of the first moment, in [0, 1)
     * @param beta2       decay of the second moment, in [0, 1)
     * @param eps         added to the denominator's square root
     * @throws IllegalArgumentException if the counts of tensors and decays differ
     */
    public AdamW(List<MemorySegment> params, double[] weightDecay, double beta1, double beta2, double eps) {
        if (weightDecay.length != params.size()) {
            throw new IllegalArgumentException(weightDecay.length + " weight decays for " + params.size() + " tensors");
        }
        this.params = List.copyOf(params);
        this.weightDecay = weightDecay.clone();
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.m = new MemorySegment[params.size()];
        this.v = new MemorySegment[params.size()];
        for (int i = 0; i < params.size(); i++) {
            m[i] = arena.allocate(params.get(i).byteSize(), 64);
            v[i] = arena.allocate(params.get(i).byteSize(), 64);
        }
    }

    /**
     * Optimizes an adapter's slab (every A and B of the adapter, one tensor for the optimizer).
     *
     * @param params      the adapter, updated in place
     * @param beta1       decay of the first moment
     * @param beta2       decay of the second moment
     * @param eps         added to the denominator's square root
     * @param weightDecay the decoupled weight decay (TRL's default is 0)
     */
    public AdamW(LoraWeights params, double beta1, double beta2, double eps, double weightDecay) {
        this(List.of(params.slab()), new double[]{weightDecay}, beta1, beta2, eps);
    }

    /**
     * PyTorch's defaults (β = 0.9, 0.999; ε = 1e-8) with TRL's weight decay of 0.
     *
     * @param params the adapter to optimize
     * @return a new optimizer; close it to free its moments
     */
    public static AdamW standard(LoraWeights params) {
        return new AdamW(params, 0.9, 0.999, 1e-8, 0);
    }

    /**
     * One update of the adapter {@code params} from {@code grads}.
     *
     * @param params the adapter this optimizer was made for, updated in place
     * @param grads  gradients of the loss, with the adapter's layout
     * @param lr     the learning rate of this step
     * @throws IllegalArgumentException if {@code params} is not the optimizer's adapter
     */
    public void step(LoraWeights params, LoraWeights grads, double lr) {
        if (params.slab() != this.params.getFirst()) throw new IllegalArgumentException("not the adapter this optimizer was made for");
        step(List.of(grads.slab()), lr, 1.0);
    }

    /**
     * One update from {@code grads}, each gradient multiplied by {@code gradScale} first
     * (gradient clipping).
     *
     * @param grads     one F32 segment per parameter tensor, in the constructor's order and sizes
     * @param lr        the learning rate of this step
     * @param gradScale the factor applied to every gradient (1 for none)
     * @throws IllegalArgumentException if the number of gradients differs from the tensors'
     */
    public void step(List<MemorySegment> grads, double lr, double gradScale) {
        if (grads.size() != params.size()) throw new IllegalArgumentException(grads.size() + " gradients for " + params.size() + " tensors");
        steps++;
        double c1 = 1 - Math.pow(beta1, steps), c2 = 1 - Math.pow(beta2, steps);
        for (int k = 0; k < params.size(); k++) {
            MemorySegment p = params.get(k), g = grads.get(k), ms = m[k], vs = v[k];
            double wd = weightDecay[k];
            long n = p.byteSize() / Float.BYTES;
            for (long i = 0; i < n; i++) {
                double gi = SegmentMath.get(g, i) * gradScale;
                double mi = beta1 * SegmentMath.get(ms, i) + (1 - beta1) * gi;
                double vi = beta2 * SegmentMath.get(vs, i) + (1 - beta2) * gi * gi;
                SegmentMath.set(ms, i, (float) mi);
                SegmentMath.set(vs, i, (float) vi);
                double pi = SegmentMath.get(p, i);
                pi -= lr * wd * pi;
                pi -= lr * (mi / c1) / (Math.sqrt(vi / c2) + eps);
                SegmentMath.set(p, i, (float) pi);
            }
        }
    }

    /**
     * Updates taken so far, restored by a checkpoint.
     *
     * @return the bias-correction count
     */
    public int steps() {
        return steps;
    }

    /** The first moment of parameter tensor k (checkpoints save and restore it as it is). */
    MemorySegment firstMoment(int k) {
        return m[k];
    }

    /** The second moment of parameter tensor k. */
    MemorySegment secondMoment(int k) {
        return v[k];
    }

    void restore(int steps) {
        this.steps = steps;
    }

    /** Frees the moments; the optimizer is unusable afterwards (the parameters are not touched). */
    @Override
    public void close() {
        arena.close();
    }
}
