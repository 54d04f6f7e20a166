package io.jdpo.demo;

import io.jdpo.model.Ops;
import io.jdpo.model.WeightGradients;
import io.jdpo.tensor.PackedGemm;
import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.QuantMatrix;
import io.jdpo.tensor.VectorMath;

import java.util.Map;

/**
 * The gradients of every weight of an F32 model (full-parameter training), accumulated into
 * one float array per tensor name: the projections' dW = dyᵀ·x, the norms' weights, the
 * embedding rows of the tokens seen and the output matrix.
 */
final class FullGradients implements WeightGradients {
    private final Map<String, float[]> grads;

    FullGradients(Map<String, float[]> grads) {
        this.grads = grads;
    }

    @Override
    public void projection(QuantMatrix w, float[] x, float[] dy, int T, Parallel par) {
        // dW (n_out × n_in, the GGUF row layout) += dyᵀ·x.
        int nOut = w.rows(), nIn = w.cols();
        float[] dW = grads.get(w.name());
        par.forRange(nOut, 4, (o0, o1) -> PackedGemm.aTb(dy, o0, nOut, o1 - o0, x, 0, nIn, T, nIn, dW, o0 * nIn, nIn, true));
    }

    @Override
    public void norm(String name, float[] x, float[] weight, float[] dy, int T, int n, float eps) {
        // One thread: the weight's gradient sums over rows. The input gradient computed
        // alongside is the backward's own, so it goes to scratch here.
        float[] dw = grads.get(name), scratch = new float[n];
        for (int t = 0; t < T; t++) Ops.rmsNormBackward(x, t * n, weight, dy, t * n, scratch, 0, n, eps, dw);
    }

    @Override
    public void embedding(int[] tokens, float[] dx, int dim) {
        // The embedding rows of the tokens get the gradient of the first block's input.
        float[] dE = grads.get("token_embd.weight");
        for (int t = 0; t < tokens.length; t++) {
            int row = tokens[t] * dim;
            for (int j = 0; j < dim; j++) dE[row + j] += dx[t * dim + j];
        }
    }

    /**
     * dW_out += Σ_i c_i·(onehot_i − softmax(z_i)) ⊗ h_i: the logits are recomputed here, the
     * one place full-parameter training needs them again.
     */
    @Override
    public void output(QuantMatrix out, float[] h, float[] c, int[] targets, Parallel par) {
        int n = c.length, d = out.cols(), V = out.rows();
        float[] z = new float[n * V];
        out.matmul(h, n, z, par);
        for (int i = 0; i < n; i++) {
            int o = i * V;
            double lse = VectorMath.logSumExp(z, o, V);
            for (int v = 0; v < V; v++) z[o + v] = -c[i] * (float) Math.exp(z[o + v] - lse);
            z[o + targets[i]] += c[i];
        }
        PackedGemm.aTb(z, 0, V, V, h, 0, d, n, d, grads.get(out.name()), 0, d, true);
    }
}
