package io.jdpo.model;

import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.QuantMatrix;

/**
 * Receives the gradients of the model's own weights during a backward, for full-parameter
 * training (the demo model's pretraining). LoRA training has none: its base weights are
 * frozen and only the adapter gets gradients. Each call hands over what that weight's
 * gradient is made from; the receiver accumulates it.
 */
public interface WeightGradients {
    /** A projection y = W·x over T rows: dW (n_out × n_in) += dyᵀ·x. */
    void projection(QuantMatrix w, float[] x, float[] dy, int T, Parallel par);

    /**
     * An RMS norm y = norm(x)·w over T rows of n: dw += Σ_t dy·x·s_t. Called with the
     * tensor's name; the input gradient is the backward's own business.
     */
    void norm(String name, float[] x, float[] weight, float[] dy, int T, int n, float eps);

    /** The embedding: row tokens[t] += dx[t] for every position. */
    void embedding(int[] tokens, float[] dx, int dim);

    /**
     * The output projection z = W_out·h: {@code h} holds the n normalised final rows, {@code c}
     * dLoss/dlogp of each prediction and {@code targets} its token.
     */
    void output(QuantMatrix out, float[] h, float[] c, int[] targets, Parallel par);
}
