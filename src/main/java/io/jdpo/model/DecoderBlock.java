package io.jdpo.model;

import io.jdpo.tensor.Arithmetic;
import io.jdpo.tensor.GgmlOrder;
import io.jdpo.tensor.LoraPair;
import io.jdpo.tensor.PackedGemm;
import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.QuantMatrix;
import io.jdpo.tensor.ScratchBuffer;
import io.jdpo.tensor.SegmentMath;
import io.jdpo.tensor.SharedInput;
import io.jdpo.tensor.VectorMath;

import java.util.function.Supplier;

/**
 * The forward of one decoder block (pre-norm attention, then the gated MLP, each added to
 * the residual stream, with Gemma's post-norms before the adds) with the adapter's LoRA
 * branches where it has them. What the architecture adds is read from
 * {@link ModelConfig#features()}. The backward of the same block is {@link Backprop#layerBackward}.
 */
final class DecoderBlock {
    /** Rows per thread task in row-wise steps (norms, residual adds, activations). */
    static final int ROWS = 16;
    private final ModelConfig cfg;
    private final ModelWeights weights;
    private final Parallel par;
    private final Supplier<LoraWeights> adapter;
    /**
     * GELU as the smooth function rather than llama.cpp's F16 table: for the gradient check
     * only, whose finite differences cannot see through the table's steps (the backward uses
     * the smooth slope either way).
     */
    private volatile boolean smoothGelu;
    /** Every projection is F32 or F16, so the deployed arithmetic can be llama.cpp's to the bit. */
    private final boolean ggmlOrderWeights;

    DecoderBlock(ModelConfig cfg, ModelWeights weights, Parallel par, Supplier<LoraWeights> adapter, boolean ggmlOrderWeights) {
        this.ggmlOrderWeights = ggmlOrderWeights;
        this.cfg = cfg;
        this.weights = weights;
        this.par = par;
        this.adapter = adapter;
    }

    /**
     * Block l over the residual stream x (updated in place), filling {@code a}; o is
     * T × dim scratch. When {@code a} is kept for the backward it also receives copies of the
     * block's input and mid-residual, and Q/K before their norms.
     */
    void forward(int l, float[] x, Layout layout, Rope.Tables ropes, LayerActivations a, float[] o) {
        LayerWeights w = weights.layers.get(l);
        LoraWeights lora = adapter.get();
        int T = layout.length();
        int d = cfg.dim(), hd = cfg.headDim();
        float eps = cfg.rmsEps();
        if (a.xIn != null) System.arraycopy(x, 0, a.xIn, 0, T * d);
        norm(x, w.attnNorm(), a.h1, T);
        int[][] batches = layout.batchRows();
        projectQkv(l, w, lora, a, T, batches);
        if (w.bq() != null) {
            Ops.addBias(a.q, w.bq(), T);
            Ops.addBias(a.k, w.bk(), T);
            Ops.addBias(a.v, w.bv(), T);
        }
        if (w.qNorm() != null) {
            if (a.qPre != null) {
                System.arraycopy(a.q, 0, a.qPre, 0, a.q.length);
                System.arraycopy(a.k, 0, a.kPre, 0, a.k.length);
            }
            for (int i = 0; i < T * cfg.heads(); i++) Ops.rmsNorm(a.q, i * hd, w.qNorm(), a.q, i * hd, hd, eps);
            for (int i = 0; i < T * cfg.kvHeads(); i++) Ops.rmsNorm(a.k, i * hd, w.kNorm(), a.k, i * hd, hd, eps);
        }
        Rope.Table rope = ropes.forLayer(cfg, l);
        Rope.apply(a.q, T, cfg.heads(), cfg, rope);
        Rope.apply(a.k, T, cfg.kvHeads(), cfg, rope);
        Attention.forward(a.q, a.k, a.v, a.att, layout, cfg, par, attentionOptions(l));
        project(lora, l, LoraTarget.ATTN_OUTPUT, w.wo(), inputs(a.att, T, cfg.qDim(), batches), o, a);
        postNormAndAdd(x, o, w.attnPostNorm(), a.oAtt, T);
        if (a.xMid != null) System.arraycopy(x, 0, a.xMid, 0, T * d);
        norm(x, w.ffnNorm(), a.h2, T);
        // llama.cpp runs the last layer's MLP on the rows each decode outputs only, gathered; its
        // kernels choose by that batch. (The other rows' MLP outputs are left as they were: no
        // log-prob reads them, so their gradients are zero.)
        int[][] mlp = l == cfg.layers() - 1 ? layout.outputBatches() : batches;
        projectGateUp(l, w, lora, a, T, mlp);
        activate(a, T);
        project(lora, l, LoraTarget.FFN_DOWN, w.down(), inputs(a.act, T, cfg.ffn(), mlp), o, a);
        postNormAndAdd(x, o, w.ffnPostNorm(), a.oFfn, T);
    }

    /**
     * q, k and v of the normalised rows (or Phi-3's fused product, split). They read the same
     * rows, so their activation blocks are made once ({@link SharedInput}), and dropped when
     * this returns: a model's forward in a small heap has no room to keep them longer.
     */
    private void projectQkv(int l, LayerWeights w, LoraWeights lora, LayerActivations a, int T, int[][] batches) {
        BatchInput normed = inputs(a.h1, T, cfg.dim(), batches);
        if (w.wqkv() != null) {
            project(lora, l, LoraTarget.ATTN_QKV, w.wqkv(), normed, a.qkv, a);
            Fused.split(a.qkv, T, new float[][]{a.q, a.k, a.v}, new int[]{cfg.qDim(), cfg.kvDim(), cfg.kvDim()});
            return;
        }
        project(lora, l, LoraTarget.ATTN_Q, w.wq(), normed, a.q, a);
        project(lora, l, LoraTarget.ATTN_K, w.wk(), normed, a.k, a);
        project(lora, l, LoraTarget.ATTN_V, w.wv(), normed, a.v, a);
    }

    /** Gate and up of the MLP's normalised rows (or the fused product, split), sharing their activation blocks as {@link #projectQkv} does. */
    private void projectGateUp(int l, LayerWeights w, LoraWeights lora, LayerActivations a, int T, int[][] batches) {
        int ffn = cfg.ffn();
        BatchInput normed = inputs(a.h2, T, cfg.dim(), batches);
        if (w.gate() == null) {
            project(lora, l, LoraTarget.FFN_UP, w.up(), normed, a.gu, a);
            Fused.split(a.gu, T, new float[][]{a.g, a.u}, new int[]{ffn, ffn});
            return;
        }
        project(lora, l, LoraTarget.FFN_GATE, w.gate(), normed, a.g, a);
        project(lora, l, LoraTarget.FFN_UP, w.up(), normed, a.u, a);
    }

    /**
     * Makes again what a kept layer leaves out, as the forward made it (the same functions of
     * the same values: the same bits): the projections' normalised inputs from the layer's
     * input and mid-residual, and the MLP's product from its gate and up. They are cheap to
     * make and a third of a layer's floats, so the slabs do not hold them ({@link LayerActivations#kept}).
     *
     * @param l the layer
     * @param a its kept activations, loaded
     * @param T the rows
     */
    void restore(int l, LayerActivations a, int T) {
        LayerWeights w = weights.layers.get(l);
        norm(a.xIn, w.attnNorm(), a.h1, T);
        norm(a.xMid, w.ffnNorm(), a.h2, T);
        activate(a, T);
    }

    /** out = RMSNorm(x)·weight, row by row on all threads. */
    private void norm(float[] x, float[] weight, float[] out, int T) {
        int d = cfg.dim();
        float eps = cfg.rmsEps();
        // Row-wise steps run on all threads too: with two cores, a serial tenth of the work would cost a fifth of the time.
        par.forRange(T, ROWS, (t0, t1) -> {
            for (int t = t0; t < t1; t++) Ops.rmsNorm(x, t * d, weight, out, t * d, d, eps);
        });
    }

    /** The MLP's act = f(g)·u: SwiGLU (in ggml's order in the deployed arithmetic) or GELU. */
    private void activate(LayerActivations a, int T) {
        int ffn = cfg.ffn();
        boolean gelu = cfg.features().gelu(), ggml = inGgmlOrder();
        par.forRange(T, ROWS, (t0, t1) -> {
            if (!gelu && ggml) {
                for (int t = t0; t < t1; t++) Ops.swigluInGgmlOrder(a.g, a.u, a.act, t * ffn, ffn);
                return;
            }
            for (int i = t0 * ffn; i < t1 * ffn; i++) a.act[i] = (gelu ? gelu(a.g[i]) : Ops.silu(a.g[i])) * a.u[i];
        });
    }

    /**
     * x += o, or with a post-norm (Gemma) x += norm(o): o is normalised in place, its value
     * before the norm kept in {@code keep} for the backward when that is not null.
     */
    private void postNormAndAdd(float[] x, float[] o, float[] norm, float[] keep, int T) {
        int d = cfg.dim();
        float eps = cfg.rmsEps();
        par.forRange(T, ROWS, (t0, t1) -> {
            if (norm != null) {
                if (keep != null) System.arraycopy(o, t0 * d, keep, t0 * d, (t1 - t0) * d);
                for (int t = t0; t < t1; t++) Ops.rmsNorm(o, t * d, norm, o, t * d, d, eps);
            }
            for (int i = t0 * d; i < t1 * d; i++) x[i] += o[i];
        });
    }

    /** Layer l's attention options: the scale, its sliding window (0 when global) and the logit soft cap. */
    Attention.Options attentionOptions(int l) {
        return new Attention.Options(cfg.attentionScale(), cfg.features().window(l), cfg.features().attnSoftcap(),
                cfg.arch().scalesQueries(), inGgmlOrder());
    }

    /**
     * True when attention and the SwiGLU add in llama.cpp's order ({@link GgmlOrder}): the
     * deployed arithmetic on F32/F16 weights, on a machine whose ggml order is known.
     */
    private boolean inGgmlOrder() {
        return ggmlOrderWeights && weights.output.arithmetic() == Arithmetic.DEPLOYED && GgmlOrder.LANES > 0;
    }

    /**
     * A product input as llama.cpp's decodes see it: its rows in the decodes' order (null: the
     * input's first rows, read in place, else gathered into {@code input}), the decodes' sizes
     * in that order, and the whole input (T rows) for the LoRA dropout.
     */
    private record BatchInput(int[] rows, int[] sizes, float[] all, int tokens, SharedInput input) {
        int n() {
            return input.tokens();
        }
    }

    /**
     * A product input of T rows as the decodes {@code batches} (rows each, in order) see it;
     * the products that read it share its activation blocks. The decodes' rows are read in
     * place where they are the input's first rows (a sequence, every layer of a pair but the
     * last), else gathered (a pair's predicting rows in its last layer).
     */
    private static BatchInput inputs(float[] values, int T, int width, int[][] batches) {
        int[] rows = java.util.Arrays.stream(batches).flatMapToInt(java.util.Arrays::stream).toArray();
        int[] sizes = java.util.Arrays.stream(batches).mapToInt(b -> b.length).filter(m -> m > 0).toArray();
        boolean inPlace = true;
        for (int i = 0; i < rows.length; i++) inPlace &= rows[i] == i;
        return inPlace ? new BatchInput(null, sizes, values, T, new SharedInput(values, rows.length))
                : new BatchInput(rows, sizes, values, T, new SharedInput(gather(values, width, rows), rows.length));
    }

    /** Rows {@code rows} of a row-major array of the given width, one after another. */
    private static float[] gather(float[] values, int width, int[] rows) {
        float[] out = new float[rows.length * width];
        for (int i = 0; i < rows.length; i++) System.arraycopy(values, rows[i] * width, out, i * width, width);
        return out;
    }

    /** Row i of {@code part} (width floats each) into row rows[i] of {@code whole}. */
    private static void scatter(float[] part, int width, int[] rows, float[] whole) {
        for (int i = 0; i < rows.length; i++) System.arraycopy(part, i * width, whole, rows[i] * width, width);
    }

    /**
     * y = W·x, plus scale·B·(A·x) where the adapter adapts this projection (as llama.cpp
     * applies LoRA), over the input's decodes; A·x is kept in {@code a} for the backward. Rows
     * in no decode are left as they were. One call covers all decodes where the weights' kernels
     * allow ({@link QuantMatrix#splitsBatches}), else each decode gets a call of its own.
     */
    private void project(LoraWeights lora, int layer, LoraTarget target, QuantMatrix w, BatchInput b, float[] y, LayerActivations a) {
        int n = b.n(), nOut = w.rows();
        if (n == 0) return;
        float[] yb = b.rows() == null ? y : new float[n * nOut];
        if (!w.splitsBatches(b.sizes())) {
            w.matmul(b.input(), yb, par, b.sizes());
        } else {
            float[] x = b.input().values();
            int nIn = w.cols();
            for (int i = 0, at = 0; i < b.sizes().length; at += b.sizes()[i++]) {
                int m = b.sizes()[i];
                float[] ym = new float[m * nOut];
                w.matmul(new SharedInput(java.util.Arrays.copyOfRange(x, at * nIn, (at + m) * nIn), m), ym, par, new int[]{m});
                System.arraycopy(ym, 0, yb, at * nOut, m * nOut);
            }
        }
        LoraPair p = lora == null ? null : lora.get(layer, target);
        if (p != null) {
            float[] x = b.input().values();
            if (a.dropout != null) {
                float[] dropped = a.dropout.apply(b.all(), b.tokens(), p.nIn(), layer, target);
                x = b.rows() == null ? dropped : gather(dropped, p.nIn(), b.rows());
            }
            float[] ax = a.ax.get(target), axb = b.rows() == null ? ax : new float[n * p.rank()];
            // Decode by decode: llama.cpp's F32 LoRA products choose their kernel by the decode's rows.
            for (int i = 0, at = 0; i < b.sizes().length; at += b.sizes()[i++]) addLora(lora.config().scale(), p, x, at, b.sizes()[i], axb, yb);
            if (b.rows() != null) scatter(axb, p.rank(), b.rows(), ax);
        }
        if (b.rows() != null) scatter(yb, nOut, b.rows(), y);
    }

    /** y += scale·B·(A·x) over rows [from, from + n) of x (one decode), A·x into ax. */
    private void addLora(float scale, LoraPair p, float[] x, int from, int n, float[] ax, float[] y) {
        int r = p.rank(), nIn = p.nIn(), nOut = p.nOut();
        float[] A = SegmentMath.toArray(p.a()), B = SegmentMath.toArray(p.b());
        if (inGgmlOrder()) {
            // llama.cpp's LoRA: mul_mat(B, mul_mat(A, x)), scaled, added; F32 products in ggml's order.
            par.forRange(n, 4, (i0, i1) -> {
                int t0 = from + i0, m = i1 - i0;
                // A thread's rows in buffers of its own, kept between calls: fresh ones were the step's largest garbage.
                float[] xs = LORA_X.get(m * nIn), axs = LORA_AX.get(m * r), bs = LORA_BAX.get(m * nOut);
                System.arraycopy(x, t0 * nIn, xs, 0, m * nIn);
                GgmlOrder.product(xs, m, A, r, nIn, r, n, axs, 0, r);
                GgmlOrder.product(axs, m, B, nOut, r, nOut, n, bs, 0, nOut);
                System.arraycopy(axs, 0, ax, t0 * r, m * r);
                VectorMath.addScaled(y, t0 * nOut, scale, bs, 0, m * nOut);
            });
            return;
        }
        float[] bax = new float[n * nOut];
        par.forRange(n, 4, (i0, i1) -> {
            int t0 = from + i0;
            PackedGemm.abT(x, t0 * nIn, nIn, i1 - i0, A, 0, nIn, nIn, r, ax, t0 * r, r, false);
            PackedGemm.abT(ax, t0 * r, r, i1 - i0, B, 0, r, r, nOut, bax, i0 * nOut, nOut, false);
            VectorMath.addScaled(y, t0 * nOut, scale, bax, i0 * nOut, (i1 - i0) * nOut);
        });
    }

    /** Per thread: the LoRA product's input rows, A·x and B·(A·x) ({@link #project}). */
    private static final ScratchBuffer<float[]> LORA_X = ScratchBuffer.floats(), LORA_AX = ScratchBuffer.floats(), LORA_BAX = ScratchBuffer.floats();

    /** The MLP's GELU as this model computes it (llama.cpp's F16 table unless {@link #smoothGelu(boolean)}). */
    float gelu(float x) {
        return smoothGelu ? Gelu.exact(x) : Gelu.apply(x);
    }

    /** Switches the forward's GELU to the smooth function (gradient checks) or back to llama.cpp's table. */
    void smoothGelu(boolean on) {
        this.smoothGelu = on;
    }
}
