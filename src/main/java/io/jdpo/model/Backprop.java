package io.jdpo.model;

import io.jdpo.tensor.VectorMath;
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
 * In full-parameter training a {@link WeightGradients} sink receives what every weight's
 * gradient is made from as the pass goes by.
 */
final class Backprop {
    private final Transformer tf;
    private final ModelConfig cfg;
    private final ForwardPass pass;
    private final LoraWeights lora;
    private final LoraWeights grads;
    /** Receives the model's own weight gradients (full-parameter training), or null. */
    private final WeightGradients full;
    private final Parallel par;
    private final int T;
    /** The gradients a block's backward works in, made once per pass and reused by every layer. */
    private final float[] dAct, du, dh, dAtt, dq, dk, dv;

    Backprop(Transformer tf, ForwardPass pass, LoraWeights grads, WeightGradients full) {
        this.tf = tf;
        this.cfg = tf.cfg();
        this.pass = pass;
        this.lora = grads == null ? null : tf.adapter();
        this.grads = grads;
        this.full = full;
        this.par = tf.par();
        this.T = pass.layout.length();
        int n = T * cfg.ffn();
        this.dAct = new float[n];
        this.du = new float[n];
        this.dh = new float[T * cfg.dim()];
        this.dAtt = new float[T * cfg.qDim()];
        this.dq = new float[T * cfg.qDim()];
        this.dk = new float[T * cfg.kvDim()];
        this.dv = new float[T * cfg.kvDim()];
    }

    void run(float[] dLogProbs) {
        if (full != null && cfg.features().finalSoftcap() > 0) {
            // WeightGradients.output recomputes plain logits: it knows nothing of the cap.
            throw new UnsupportedModelException("full-parameter training of a model with soft-capped logits ("
                    + cfg.arch().ggufName() + ") is not implemented; LoRA training is");
        }
        float[] dx = outputBackward(dLogProbs);
        LayerActivations shared = pass.kept == null ? new LayerActivations(T, cfg, lora == null ? null : lora.config(), true) : null;
        float[] scratch = pass.kept == null ? new float[T * cfg.dim()] : null;
        for (int l = cfg.layers() - 1; l >= 0; l--) {
            LayerActivations a;
            if (pass.kept != null) {
                a = pass.layer(l);
            } else {
                a = shared;
                a.dropout = pass.dropout;
                tf.block().forward(l, pass.layerInputs[l].clone(), pass.layout, pass.rope, a, scratch);
            }
            layerBackward(l, a, dx);
        }
        if (full != null) {
            // Gemma scales the embedding rows by √d on the way in.
            float scale = cfg.features().embedScale();
            if (scale != 1f) for (int i = 0; i < dx.length; i++) dx[i] *= scale;
            full.embedding(pass.layout.tokens, dx, cfg.dim());
        }
        pass.consumed();
        tf.recycle(pass.kept);
    }

    /**
     * logp_i = z_i[target] − logsumexp(z_i) with z = W_out·norm(x[source_i]); the forward kept
     * (onehot − softmax)·W_out per prediction, so dLoss/dnorm = c_i times that row, and only
     * the final norm's backward is left. Two predictions from one row (a pair's completions
     * both follow the prompt's last token) add into the same dx row.
     */
    private float[] outputBackward(float[] c) {
        int d = cfg.dim(), n = c.length;
        float[] dx = new float[T * d], dh = new float[d];
        float[] norm = tf.head().norm();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) dh[j] = c[i] * pass.unitGrad[i * d + j];
            int row = pass.layout.sources[i] * d;
            Ops.rmsNormBackward(pass.xFinal, row, norm, dh, 0, dx, row, d, cfg.rmsEps());
        }
        if (full != null) {
            // The output norm's weight and the output matrix: their gradients need the
            // normalised rows and dLoss/dnorm of every prediction.
            float[] dhAll = new float[n * d], h = new float[n * d];
            for (int i = 0; i < n * d; i++) dhAll[i] = c[i / d] * pass.unitGrad[i];
            float[] src = new float[n * d];
            for (int i = 0; i < n; i++) System.arraycopy(pass.xFinal, pass.layout.sources[i] * d, src, i * d, d);
            full.norm("output_norm.weight", src, norm, dhAll, n, d, cfg.rmsEps());
            tf.head().normalisedRows(pass.xFinal, pass.layout.sources, 0, n, h);
            full.output(tf.head().matrix(), h, c, pass.layout.targets, par);
        }
        return dx;
    }

    /** dx holds dLoss/d(block output) on entry and dLoss/d(block input) on return. */
    private void layerBackward(int l, LayerActivations a, float[] dx) {
        LayerWeights w = tf.layerWeights(l);
        int hd = cfg.headDim(), ffn = cfg.ffn();
        // The products add into dAct, dh and dAtt, the attention's backward into dk and dv: they start at zero.
        for (float[] z : new float[][]{dAct, dh, dAtt, dk, dv}) java.util.Arrays.fill(z, 0f);

        // MLP: x_out = x_mid + post?(down(act(gate·h2) ⊙ up·h2)), h2 = norm(x_mid)
        float[] dOut = postNormBackward(a.oFfn, w.ffnPostNorm(), dx, "blk." + l + ".post_ffw_norm.weight");
        projectBackward(l, LoraTarget.FFN_DOWN, w.down(), a.act, dOut, dAct, a);
        boolean gelu = cfg.features().gelu();
        par.forRange(T, DecoderBlock.ROWS, (t0, t1) -> {
            if (!gelu) {
                VectorMath.siluGateBackward(a.g, a.u, dAct, du, t0 * ffn, t1 * ffn);
                return;
            }
            for (int i = t0 * ffn; i < t1 * ffn; i++) {
                float g = a.g[i];
                // du takes the value the forward used (F16-rounded), dg the smooth slope.
                du[i] = dAct[i] * tf.block().gelu(g);
                dAct[i] *= a.u[i] * Gelu.derivative(g);
            }
        });
        if (w.gate() == null) {
            float[] dgu = Fused.join(T, new float[][]{dAct, du}, new int[]{ffn, ffn});
            projectBackward(l, LoraTarget.FFN_UP, w.up(), a.h2, dgu, dh, a);
        } else {
            projectBackward(l, LoraTarget.FFN_GATE, w.gate(), a.h2, dAct, dh, a);
            projectBackward(l, LoraTarget.FFN_UP, w.up(), a.h2, du, dh, a);
        }
        normBackward(a.xMid, w.ffnNorm(), dh, dx, "blk." + l + ".ffn_norm.weight");

        // Attention: x_mid = x_in + post?(wo·attention(rope(norm?(q)), rope(norm?(k)), v)), q/k/v from h1 = norm(x_in)
        dOut = postNormBackward(a.oAtt, w.attnPostNorm(), dx, "blk." + l + ".post_attention_norm.weight");
        projectBackward(l, LoraTarget.ATTN_OUTPUT, w.wo(), a.att, dOut, dAtt, a);
        Attention.backward(a.q, a.k, a.v, dAtt, dq, dk, dv, pass.layout, cfg, par, tf.block().attentionOptions(l));
        Rope.Table rope = pass.rope.forLayer(cfg, l);
        Rope.applyInverse(dq, T, cfg.heads(), cfg, rope);
        Rope.applyInverse(dk, T, cfg.kvHeads(), cfg, rope);
        // With Q/K norms, the projections' gradients are those through the norms.
        float[] dqIn = dq, dkIn = dk;
        if (w.qNorm() != null) {
            dqIn = headNormBackward(a.qPre, w.qNorm(), dq, T * cfg.heads(), hd);
            dkIn = headNormBackward(a.kPre, w.kNorm(), dk, T * cfg.kvHeads(), hd);
        }
        // The first block's input is the frozen embedding: nothing below it needs dx, so its
        // q/k/v products skip their input gradient and only feed the adapter's.
        boolean needDx = l > 0 || full != null;
        java.util.Arrays.fill(dh, 0f);
        if (w.wqkv() != null) {
            float[] dqkv = Fused.join(T, new float[][]{dqIn, dkIn, dv}, new int[]{cfg.qDim(), cfg.kvDim(), cfg.kvDim()});
            projectBackward(l, LoraTarget.ATTN_QKV, w.wqkv(), a.h1, dqkv, needDx ? dh : null, a);
        } else {
            projectBackward(l, LoraTarget.ATTN_Q, w.wq(), a.h1, dqIn, needDx ? dh : null, a);
            projectBackward(l, LoraTarget.ATTN_K, w.wk(), a.h1, dkIn, needDx ? dh : null, a);
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
        if (full != null) full.norm(name, x, weight, dh, T, d, cfg.rmsEps());
        par.forRange(T, DecoderBlock.ROWS, (t0, t1) -> {
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
     * columns of dBᵀ and of dA).
     */
    private void projectBackward(int l, LoraTarget target, QuantMatrix w, float[] x, float[] dy, float[] dx, LayerActivations a) {
        if (dx != null) w.matmulTransposedAdd(dy, T, dx, par);
        if (full != null) full.projection(w, x, dy, T, par);
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
        // dBᵀ = (A·x)ᵀ·dy and dA = d(A·x)ᵀ·x, the rank-wide factors read as transposed (aTb).
        float[] dBT = new float[r * nOut], dA = new float[r * nIn];
        par.forRange(nOut, PackedGemm.STRIP, (o0, o1) -> PackedGemm.aTb(ax, 0, r, r, dy, o0, nOut, T, o1 - o0, dBT, o0, nOut, false));
        par.forRange(nIn, PackedGemm.STRIP, (i0, i1) -> PackedGemm.aTb(dAx, 0, r, r, xl, i0, nIn, T, i1 - i0, dA, i0, nIn, false));
        SegmentMath.addScaled(gp.b(), s, VectorMath.transpose(dBT, r, nOut));
        SegmentMath.addScaled(gp.a(), 1f, dA);
    }
}
