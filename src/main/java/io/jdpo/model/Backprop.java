package io.jdpo.model;

import io.jdpo.tensor.LoraPair;
import io.jdpo.tensor.PackedGemm;
import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.QuantMatrix;
import io.jdpo.tensor.SegmentMath;

/**
 * One backward pass of {@link Transformer}: from dLoss/dlogp of the completion tokens down
 * through the output projection, every block in reverse and into the LoRA gradients. The
 * residual-stream gradient dx is carried from block to block; inputs of frozen weights get
 * their gradient through the transposed quantized product, without dequantizing tensors.
 * In full-parameter mode ({@code full} non-null) every weight gets its gradient too: the
 * projections' dW = dyᵀ·x, the norms' weights, the embedding rows and the output matrix.
 */
final class Backprop {
    private final Transformer tf;
    private final ModelConfig cfg;
    private final ForwardPass pass;
    private final LoraWeights lora;
    private final LoraWeights grads;
    /** Gradients of every weight by tensor name (full-parameter training), or null. */
    private final java.util.Map<String, float[]> full;
    private final Parallel par;
    private final int T;

    Backprop(Transformer tf, ForwardPass pass, LoraWeights grads, java.util.Map<String, float[]> full) {
        this.tf = tf;
        this.cfg = tf.cfg();
        this.pass = pass;
        this.lora = grads == null ? null : tf.adapter();
        this.grads = grads;
        this.full = full;
        this.par = tf.par();
        this.T = pass.layout.length();
    }

    void run(float[] dLogProbs) {
        float[] dx = outputBackward(dLogProbs);
        LayerActivations shared = pass.layers == null ? new LayerActivations(T, cfg, lora == null ? null : lora.config(), true) : null;
        float[] scratch = pass.layers == null ? new float[T * cfg.dim()] : null;
        for (int l = cfg.layers() - 1; l >= 0; l--) {
            LayerActivations a;
            if (pass.layers != null) {
                a = pass.layers[l];
            } else {
                a = shared;
                a.dropout = pass.dropout;
                tf.layer(l, pass.layerInputs[l].clone(), pass.layout, pass.rope, a, scratch);
            }
            layerBackward(l, a, dx);
        }
        if (full != null) {
            // The embedding rows of the tokens get the gradient of the first block's input.
            float[] dE = full.get("token_embd.weight");
            int d = cfg.dim();
            float scale = cfg.features().embedScale();
            for (int t = 0; t < T; t++) {
                int row = pass.layout.tokens[t] * d;
                for (int j = 0; j < d; j++) dE[row + j] += scale * dx[t * d + j];
            }
        }
        pass.consumed();
        tf.recycle(pass.layers);
    }

    /**
     * logp_i = z_i[target] − logsumexp(z_i) with z = W_out·norm(x[source_i]); the forward kept
     * (onehot − softmax)·W_out per prediction, so dLoss/dnorm = c_i times that row, and only
     * the final norm's backward is left. Two predictions from one row (a pair's completions
     * both follow the prompt's last token) add into the same dx row.
     */
    private float[] outputBackward(float[] c) {
        int d = cfg.dim();
        float[] dx = new float[T * d], dh = new float[d];
        float[] norm = tf.outputNorm();
        float[] dNorm = full == null ? null : full.get("output_norm.weight");
        for (int i = 0; i < c.length; i++) {
            for (int j = 0; j < d; j++) dh[j] = c[i] * pass.unitGrad[i * d + j];
            int row = pass.layout.sources[i] * d;
            Ops.rmsNormBackward(pass.xFinal, row, norm, dh, 0, dx, row, d, cfg.rmsEps(), dNorm);
        }
        if (full != null) outputWeightGradient(c);
        return dx;
    }

    /**
     * dW_out += Σ_i c_i·(onehot_i − softmax(z_i)) ⊗ norm(x[source_i]): the logits are
     * recomputed here, the one place full-parameter training needs them again.
     */
    private void outputWeightGradient(float[] c) {
        int d = cfg.dim(), V = cfg.vocab(), n = c.length;
        QuantMatrix out = tf.outputMatrix();
        float[] h = new float[n * d], z = new float[n * V];
        for (int i = 0; i < n; i++) Ops.rmsNorm(pass.xFinal, pass.layout.sources[i] * d, tf.outputNorm(), h, i * d, d, cfg.rmsEps());
        out.matmul(h, n, z, par);
        float cap = cfg.features().finalSoftcap();
        for (int i = 0; i < n; i++) {
            int o = i * V;
            if (cap > 0) SoftCap.apply(z, o, V, cap);
            double lse = io.jdpo.tensor.VectorMath.logSumExp(z, o, V);
            for (int v = 0; v < V; v++) {
                float zv = z[o + v];
                z[o + v] = -c[i] * (float) Math.exp(zv - lse);
                if (v == pass.layout.targets[i]) z[o + v] += c[i];
                if (cap > 0) z[o + v] *= SoftCap.slope(zv, cap);
            }
        }
        float[] zT = transpose(z, n, V);
        PackedGemm.ab(zT, 0, n, V, h, 0, d, n, d, full.get(out.name()), 0, d, true);
    }

    /** dx holds dLoss/d(block output) on entry and dLoss/d(block input) on return. */
    private void layerBackward(int l, LayerActivations a, float[] dx) {
        LayerWeights w = tf.layerWeights(l);
        int d = cfg.dim(), hd = cfg.headDim(), ffn = cfg.ffn(), n = T * ffn;

        // MLP: x_out = x_mid + post?(down(act(gate·h2) ⊙ up·h2)), h2 = norm(x_mid)
        float[] dAct = new float[n];
        float[] dOut = postNormBackward(a.oFfn, w.ffnPostNorm(), dx, "blk." + l + ".post_ffw_norm.weight");
        projectBackward(l, LoraTarget.FFN_DOWN, w.down(), a.act, dOut, dAct, a);
        float[] du = new float[n];
        boolean gelu = cfg.features().gelu();
        par.forRange(T, Transformer.ROWS, (t0, t1) -> {
            for (int i = t0 * ffn; i < t1 * ffn; i++) {
                float g = a.g[i];
                if (gelu) {
                    // du takes the value the forward used (F16-rounded), dg the smooth slope.
                    du[i] = dAct[i] * tf.gelu(g);
                    dAct[i] *= a.u[i] * Gelu.derivative(g);
                    continue;
                }
                // One exponential for both: silu(g) = g·σ(g), silu'(g) = σ(g)·(1 + g·(1 − σ(g))).
                float sig = 1f / (1f + (float) Math.exp(-g));
                du[i] = dAct[i] * (g * sig);
                dAct[i] *= a.u[i] * (sig * (1f + g * (1f - sig)));
            }
        });
        float[] dh = new float[T * d];
        if (w.gate() == null) {
            float[] dgu = Fused.join(T, new float[][]{dAct, du}, new int[]{ffn, ffn});
            projectBackward(l, LoraTarget.FFN_UP, w.up(), a.h2, dgu, dh, a);
        } else {
            projectBackward(l, LoraTarget.FFN_GATE, w.gate(), a.h2, dAct, dh, a);
            projectBackward(l, LoraTarget.FFN_UP, w.up(), a.h2, du, dh, a);
        }
        normBackward(a.xMid, w.ffnNorm(), dh, dx, "blk." + l + ".ffn_norm.weight");

        // Attention: x_mid = x_in + post?(wo·attention(rope(norm?(q)), rope(norm?(k)), v)), q/k/v from h1 = norm(x_in)
        float[] dAtt = new float[T * cfg.qDim()];
        dOut = postNormBackward(a.oAtt, w.attnPostNorm(), dx, "blk." + l + ".post_attention_norm.weight");
        projectBackward(l, LoraTarget.ATTN_OUTPUT, w.wo(), a.att, dOut, dAtt, a);
        float[] dq = new float[T * cfg.qDim()], dk = new float[T * cfg.kvDim()], dv = new float[T * cfg.kvDim()];
        Attention.backward(a.q, a.k, a.v, dAtt, dq, dk, dv, pass.layout, cfg, par, tf.attentionOptions(l));
        Rope.Table rope = pass.rope.forLayer(cfg, l);
        Rope.applyInverse(dq, T, cfg.heads(), cfg, rope);
        Rope.applyInverse(dk, T, cfg.kvHeads(), cfg, rope);
        if (w.qNorm() != null) {
            dq = headNormBackward(a.qPre, w.qNorm(), dq, T * cfg.heads(), hd);
            dk = headNormBackward(a.kPre, w.kNorm(), dk, T * cfg.kvHeads(), hd);
        }
        // The first block's input is the frozen embedding: nothing below it needs dx, so its
        // q/k/v products skip their input gradient and only feed the adapter's.
        boolean needDx = l > 0 || full != null;
        java.util.Arrays.fill(dh, 0f);
        if (w.wqkv() != null) {
            float[] dqkv = Fused.join(T, new float[][]{dq, dk, dv}, new int[]{cfg.qDim(), cfg.kvDim(), cfg.kvDim()});
            projectBackward(l, LoraTarget.ATTN_QKV, w.wqkv(), a.h1, dqkv, needDx ? dh : null, a);
        } else {
            projectBackward(l, LoraTarget.ATTN_Q, w.wq(), a.h1, dq, needDx ? dh : null, a);
            projectBackward(l, LoraTarget.ATTN_K, w.wk(), a.h1, dk, needDx ? dh : null, a);
            projectBackward(l, LoraTarget.ATTN_V, w.wv(), a.h1, dv, needDx ? dh : null, a);
        }
        if (needDx) normBackward(a.xIn, w.attnNorm(), dh, dx, "blk." + l + ".attn_norm.weight");
    }

    /**
     * The gradient by a sub-block's output o given dy by norm(o) (Gemma's post-norms), or dy
     * itself when there is no post-norm.
     */
    private float[] postNormBackward(float[] o, float[] weight, float[] dy, String name) {
        if (weight == null) return dy;
        float[] dOut = new float[dy.length];
        normBackward(o, weight, dy, dOut, name);
        return dOut;
    }

    /** dx += the RMS norm's backward of dh for every row, rows split across threads. */
    private void normBackward(float[] x, float[] weight, float[] dh, float[] dx, String name) {
        int d = cfg.dim();
        if (full != null) {
            // One thread: the weight's gradient sums over rows.
            float[] dw = full.get(name);
            for (int t = 0; t < T; t++) Ops.rmsNormBackward(x, t * d, weight, dh, t * d, dx, t * d, d, cfg.rmsEps(), dw);
            return;
        }
        par.forRange(T, Transformer.ROWS, (t0, t1) -> {
            for (int t = t0; t < t1; t++) Ops.rmsNormBackward(x, t * d, weight, dh, t * d, dx, t * d, d, cfg.rmsEps());
        });
    }

    private float[] headNormBackward(float[] pre, float[] weight, float[] dy, int rows, int hd) {
        float[] dx = new float[dy.length];
        for (int i = 0; i < rows; i++) Ops.rmsNormBackward(pre, i * hd, weight, dy, i * hd, dx, i * hd, hd, cfg.rmsEps());
        return dx;
    }

    /**
     * For y = W·x + s·B·(A·x): dx += dy·W + (s·dy·B)·A (unless dx is null), dB += s·dyᵀ·(A·x), dA += (s·dy·B)ᵀ·x.
     * The adapter's matrices are small, so each product runs on heap copies with the packed
     * kernels; every loop is split so a thread owns what it writes (tokens for dx and d(Ax),
     * rows of dB, columns of dA).
     */
    private void projectBackward(int l, LoraTarget target, QuantMatrix w, float[] x, float[] dy, float[] dx, LayerActivations a) {
        if (dx != null) w.matmulTransposedAdd(dy, T, dx, par);
        if (full != null) {
            // dW (n_out × n_in, the GGUF row layout) += dyᵀ·x.
            int nOut = w.rows(), nIn = w.cols();
            float[] dyT = transpose(dy, T, nOut), dW = full.get(w.name());
            par.forRange(nOut, 4, (o0, o1) -> PackedGemm.ab(dyT, o0 * T, T, o1 - o0, x, 0, nIn, T, nIn, dW, o0 * nIn, nIn, true));
        }
        LoraPair p = lora == null ? null : lora.get(l, target);
        if (p == null) return;
        LoraPair gp = grads.get(l, target);
        int r = p.rank(), nIn = p.nIn(), nOut = p.nOut();
        float s = lora.config().scale();
        float[] A = SegmentMath.toArray(p.a()), B = SegmentMath.toArray(p.b());
        float[] ax = a.ax.get(target), dAx = new float[T * r];
        // With dropout the adapter saw x ⊙ m / (1 − p): dA uses that input, and its dx passes the same mask.
        float[] xl = a.dropout == null ? x : a.dropout.apply(x, T, nIn, l, target);
        float[] dxLora = dx == null || a.dropout == null ? dx : new float[T * nIn];
        par.forRange(T, 4, (t0, t1) -> {
            PackedGemm.ab(dy, t0 * nOut, nOut, t1 - t0, B, 0, r, nOut, r, dAx, t0 * r, r, false);
            for (int i = t0 * r; i < t1 * r; i++) dAx[i] *= s;
            if (dxLora != null) PackedGemm.ab(dAx, t0 * r, r, t1 - t0, A, 0, nIn, r, nIn, dxLora, t0 * nIn, nIn, dxLora == dx);
        });
        if (dxLora != null && dxLora != dx) {
            a.dropout.applyInPlace(dxLora, T, nIn, l, target);
            for (int i = 0; i < dxLora.length; i++) dx[i] += dxLora[i];
        }
        float[] dyT = transpose(dy, T, nOut), dAxT = transpose(dAx, T, r);
        float[] dB = new float[nOut * r], dA = new float[r * nIn];
        par.forRange(nOut, 4, (o0, o1) -> PackedGemm.ab(dyT, o0 * T, T, o1 - o0, ax, 0, r, T, r, dB, o0 * r, r, false));
        par.forRange(nIn, PackedGemm.STRIP, (i0, i1) -> PackedGemm.ab(dAxT, 0, T, r, xl, i0, nIn, T, i1 - i0, dA, i0, nIn, false));
        SegmentMath.addScaled(gp.b(), s, dB);
        SegmentMath.addScaled(gp.a(), 1f, dA);
    }

    /** rows × cols → cols × rows. */
    private static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
        }
        return t;
    }
}
