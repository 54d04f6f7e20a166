package io.jdpo.model;

import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.QuantMatrix;

/**
 * Receives the gradients of the model's own weights during a backward, for full-parameter
 * training (the demo model's pretraining). LoRA training has none: its base weights are
 * frozen and only the adapter gets gradients. Each call hands over what that weight's
 * gradient is made from; the receiver accumulates it. Arrays are row-major, one row per
 * position, and belong to the backward: a receiver copies what it keeps. Calls come from the
 * thread running the backward, one at a time.
 */
public interface WeightGradients {
    /**
     * A projection y = W·x over T rows: dW (n_out × n_in) += dyᵀ·x.
     *
     * @param w   the weight (its name keys the gradient)
     * @param x   the projection's input, T × n_in
     * @param dy  the gradient of its output, T × n_out
     * @param T   the number of rows
     * @param par the backward's threads, for the receiver's own products
     */
    void projection(QuantMatrix w, float[] x, float[] dy, int T, Parallel par);

    /**
     * An RMS norm y = norm(x)·w over T rows of n: dw += Σ_t dy·x·s_t. Called with the
     * tensor's name; the input gradient is the backward's own business.
     *
     * @param name   the norm weight's tensor name
     * @param x      the norm's input, T × n
     * @param weight the norm weight, n values
     * @param dy     the gradient of the norm's output, T × n
     * @param T      the number of rows
     * @param n      values per row
     * @param eps    the norm's ε (s_t = 1/√(mean(x_t²) + ε))
     */
    void norm(String name, float[] x, float[] weight, float[] dy, int T, int n, float eps);

    /**
     * The embedding: row tokens[t] += dx[t] for every position.
     *
     * @param tokens the sequence's tokens, one per position
     * @param dx     the gradient of the first block's input, tokens.length × dim
     * @param dim    the embedding width d
     */
    void embedding(int[] tokens, float[] dx, int dim);

    /**
     * The output projection z = W_out·h: {@code h} holds the n normalised final rows, {@code c}
     * dLoss/dlogp of each prediction and {@code targets} its token.
     *
     * @param out     the output matrix, vocab × d (the token embedding on tied models)
     * @param h       the normalised final hidden rows, n × d
     * @param c       dLoss/dlogp of each prediction, n values
     * @param targets the token each prediction scores, n values
     * @param par     the backward's threads
     */
    void output(QuantMatrix out, float[] h, float[] c, int[] targets, Parallel par);
}
