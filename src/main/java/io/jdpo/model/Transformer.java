package io.jdpo.model;

import io.jdpo.tensor.VectorMath;
import io.jdpo.gguf.GgufModel;
import io.jdpo.gguf.GgufTensorInfo;
import io.jdpo.tensor.Dequantizer;
import io.jdpo.tensor.LoraPair;
import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.PackedGemm;
import io.jdpo.tensor.QuantMatrix;
import io.jdpo.tensor.SegmentMath;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java forward of a Llama-family model over a whole sequence at once (causal attention,
 * no KV cache), on the quantized weights memory-mapped from the GGUF file. It returns
 * log-probabilities of chosen positions, computing vocabulary logits only there.
 */
public final class Transformer implements AutoCloseable {
    private final GgufModel file;
    private final ModelConfig cfg;
    private final QuantMatrix tokenEmbedding;
    private final QuantMatrix output;
    private final float[] outputNorm;
    private final float[] ropeFactors;
    private final List<LayerWeights> layers;
    private final Parallel par;
    private LoraWeights lora;
    /** Writable copies of the weights (full-parameter training), or null when read in place. */
    private final Arena weights;
    private final Map<String, Object> parameters = new java.util.LinkedHashMap<>();
    /** Training activations of a finished pass, kept for the next one. */
    private LayerActivations[] spare;
    /**
     * Logits computed at once by {@link #logProbs}: 32 MiB of floats. Each chunk decodes the
     * whole output matrix again, so chunks are kept few (two for 512 tokens of a 32k vocabulary).
     */
    private static final int LOGIT_CHUNK_FLOATS = 8 << 20;
    /**
     * GELU as the smooth function rather than llama.cpp's F16 table: for the gradient check
     * only, whose finite differences cannot see through the table's steps (the backward uses
     * the smooth slope either way).
     */
    private boolean smoothGelu;
    /** Rows per thread task in row-wise steps (norms, residual adds, activations). */
    static final int ROWS = 16;

    private Transformer(GgufModel file, int threads, boolean trainable) {
        this.file = file;
        this.weights = trainable ? Arena.ofShared() : null;
        this.cfg = ModelConfig.from(file);
        this.par = new Parallel(threads);
        ArchFeatures f = cfg.features();
        this.tokenEmbedding = matrix("token_embd.weight", cfg.dim(), cfg.vocab());
        this.output = !f.outputIsEmbedding() && has("output.weight") ? matrix("output.weight", cfg.dim(), cfg.vocab()) : tokenEmbedding;
        this.outputNorm = vector("output_norm.weight", cfg.dim());
        // Phi-3's long-context models carry short and long factors; llama.cpp takes the long
        // ones only when its context exceeds rope.scaling.original_context_length. Training
        // sequences and the parity contexts stay below that, so the Java forward uses the short ones.
        this.ropeFactors = has("rope_freqs.weight") ? vector("rope_freqs.weight", cfg.ropeDim() / 2)
                : has("rope_factors_short.weight") ? vector("rope_factors_short.weight", cfg.ropeDim() / 2) : null;
        // Gemma's norm weights (attn, ffn, post-norms, Q/K norms, output) are stored already
        // transformed: Gemma's RMSNorm multiplies by (1 + w), and convert_hf_to_gguf writes
        // w + 1, so they are used here like any other norm weight.
        List<LayerWeights> ls = new ArrayList<>();
        int d = cfg.dim(), qd = cfg.qDim(), kvd = cfg.kvDim(), ffn = cfg.ffn();
        for (int l = 0; l < cfg.layers(); l++) {
            String p = "blk." + l + ".";
            boolean bias = f.qkvBias(), qk = f.qkNorm(), fused = f.fusedQkv(), post = f.postNorms();
            ls.add(new LayerWeights(vector(p + "attn_norm.weight", d),
                    fused ? null : matrix(p + "attn_q.weight", d, qd), fused ? null : matrix(p + "attn_k.weight", d, kvd),
                    fused ? null : matrix(p + "attn_v.weight", d, kvd), matrix(p + "attn_output.weight", qd, d),
                    bias ? vector(p + "attn_q.bias", qd) : null, bias ? vector(p + "attn_k.bias", kvd) : null,
                    bias ? vector(p + "attn_v.bias", kvd) : null,
                    qk ? vector(p + "attn_q_norm.weight", cfg.headDim()) : null, qk ? vector(p + "attn_k_norm.weight", cfg.headDim()) : null,
                    vector(p + "ffn_norm.weight", d),
                    f.fusedGateUp() ? null : matrix(p + "ffn_gate.weight", d, ffn),
                    matrix(p + "ffn_up.weight", d, f.fusedGateUp() ? 2 * ffn : ffn),
                    matrix(p + "ffn_down.weight", ffn, d),
                    fused ? matrix(p + "attn_qkv.weight", d, qd + 2 * kvd) : null,
                    post ? vector(p + "post_attention_norm.weight", d) : null,
                    post ? vector(p + "post_ffw_norm.weight", d) : null));
        }
        this.layers = List.copyOf(ls);
    }

    /** Opens a GGUF model (any shard of a split one) for the Java forward with {@code threads} workers. */
    public static Transformer load(Path path, int threads) throws IOException {
        return open(path, threads, false);
    }

    /**
     * Opens an F32 model with its weights copied into writable memory, for full-parameter
     * training ({@link #parameters()}, {@link #backwardFull}, {@link #save}).
     */
    public static Transformer loadTrainable(Path path, int threads) throws IOException {
        return open(path, threads, true);
    }

    private static Transformer open(Path path, int threads, boolean trainable) throws IOException {
        GgufModel g = GgufModel.open(path);
        try {
            return new Transformer(g, threads, trainable);
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    public ModelConfig config() {
        return cfg;
    }

    /** Adds a LoRA adapter to every later forward (null removes it); its shapes must fit this model. */
    public void setAdapter(LoraWeights adapter) {
        if (adapter != null) {
            adapter.layers().forEach((layer, pairs) -> pairs.forEach((t, p) -> {
                int[] io = LoraWeights.shape(cfg, t);
                if (layer >= cfg.layers() || p.nIn() != io[0] || p.nOut() != io[1]) {
                    throw new IllegalArgumentException("LoRA pair for blk." + layer + "." + t.tensor() + " is "
                            + p.nOut() + "x" + p.nIn() + ", the model needs " + io[1] + "x" + io[0]);
                }
            }));
        }
        this.lora = adapter;
    }

    private boolean has(String name) {
        return file.fileOf(name) != null;
    }

    private GgufTensorInfo tensor(String name, long... shape) {
        if (!has(name)) throw new UnsupportedModelException("tensor '" + name + "' missing in " + file.paths().getFirst());
        GgufTensorInfo t = file.tensor(name);
        long n = 1;
        for (long d : shape) n *= d;
        if (t.elementCount() != n || t.ne()[0] != shape[0]) {
            throw new UnsupportedModelException("tensor '" + name + "' has shape " + java.util.Arrays.toString(t.ne())
                    + ", the metadata implies " + java.util.Arrays.toString(shape));
        }
        return t;
    }

    private QuantMatrix matrix(String name, int cols, int rows) {
        GgufTensorInfo t = tensor(name, cols, rows);
        MemorySegment data = file.data(t);
        if (weights != null) {
            if (t.type() != io.jdpo.gguf.GgmlType.F32) {
                throw new UnsupportedModelException("full-parameter training needs F32 weights; '" + name + "' is " + t.type());
            }
            MemorySegment copy = weights.allocate(data.byteSize(), 64);
            copy.copyFrom(data);
            data = copy;
            parameters.put(name, copy);
        }
        return new QuantMatrix(name, t.type(), data, cols, rows);
    }

    private float[] vector(String name, int n) {
        GgufTensorInfo t = tensor(name, n);
        if (!Dequantizer.supports(t.type())) throw new io.jdpo.tensor.UnsupportedTypeException(name, t.type());
        float[] v = new float[n];
        Dequantizer.dequantize(t.type(), file.data(t), v, 0, n);
        if (weights != null) parameters.put(name, v);
        return v;
    }

    /**
     * The weights of a {@link #loadTrainable} model by tensor name, in file order: matrices as
     * writable segments of F32, norm vectors as float arrays. Updating them changes the model.
     */
    public Map<String, Object> parameters() {
        if (weights == null) throw new IllegalStateException("opened read-only; use loadTrainable");
        return java.util.Collections.unmodifiableMap(parameters);
    }

    /**
     * Back-propagates dLoss/dlogp into gradients of every weight ({@code grads}: one float
     * array per parameter name, the parameter's size) of a {@link #loadTrainable} model.
     */
    public void backwardFull(ForwardPass pass, float[] dLogProbs, Map<String, float[]> grads) {
        if (weights == null) throw new IllegalStateException("opened read-only; use loadTrainable");
        if (dLogProbs.length != pass.logProbs.length) {
            throw new IllegalArgumentException(dLogProbs.length + " gradients for " + pass.logProbs.length + " log-probs");
        }
        new Backprop(this, pass, null, grads).run(dLogProbs);
    }

    /** Writes the current weights as an F32 GGUF with the original metadata (atomically). */
    public void save(Path out) throws IOException {
        if (weights == null) throw new IllegalStateException("opened read-only; use loadTrainable");
        io.jdpo.gguf.GgufWriter w = new io.jdpo.gguf.GgufWriter();
        w.putAll(file.metadata());
        for (GgufTensorInfo t : file.tensors()) {
            Object v = parameters.get(t.name());
            if (v instanceof MemorySegment seg) w.addTensor(t.name(), t.type(), t.ne(), seg);
            else if (v instanceof float[] a) w.addTensor(t.name(), t.ne(), a);
            else w.addTensor(t.name(), t.type(), t.ne(), file.data(t));
        }
        w.write(out);
    }

    /**
     * log p(tokens[t] | tokens[0..t)) for every t in [from, tokens.length); from must be at
     * least 1 (the first token has no prediction).
     */
    public float[] logProbs(int[] tokens, int from) {
        checkRange(tokens, from);
        Layout layout = Layout.sequence(tokens, from);
        float[] x = run(layout, ropeTable(layout), null, null, null);
        return completionLogProbs(x, layout, null);
    }

    /**
     * Log-probs of both completions of a preference pair, the chosen's then the rejected's,
     * with the prompt computed once (the inference twin of {@link #forwardPair}). They equal
     * those of the two sequences scored apart, bit for bit.
     */
    public float[] logProbsPair(int[] prompt, int[] chosen, int[] rejected) {
        Layout layout = checkedPair(prompt, chosen, rejected);
        float[] x = run(layout, ropeTable(layout), null, null, null);
        return completionLogProbs(x, layout, null);
    }

    /**
     * The training forward of one sequence: log-probs of tokens[from..T) plus what
     * {@link #backward} needs. With {@code recompute}, only each layer's input is kept
     * (T × dim floats per layer) and the backward recomputes the rest, one layer at a time.
     */
    public ForwardPass forward(int[] tokens, int from, boolean recompute) {
        return forward(tokens, from, recompute, 0);
    }

    /** As {@link #forward(int[], int, boolean)}; {@code dropoutSeed} picks the LoRA dropout masks (when the adapter has dropout). */
    public ForwardPass forward(int[] tokens, int from, boolean recompute, long dropoutSeed) {
        checkRange(tokens, from);
        return forward(Layout.sequence(tokens, from), recompute, dropoutSeed);
    }

    /**
     * The training forward of a preference pair with the prompt computed once: prompt,
     * chosen and rejected packed into one sequence where each completion attends to the prompt
     * and to itself. Log-probs come out as the chosen completion's then the rejected one's
     * (branches 0 and 1 of the pass); they equal those of two separate sequences.
     */
    public ForwardPass forwardPair(int[] prompt, int[] chosen, int[] rejected, boolean recompute) {
        return forwardPair(prompt, chosen, rejected, recompute, 0);
    }

    /** As {@link #forwardPair(int[], int[], int[], boolean)}; {@code dropoutSeed} picks the LoRA dropout masks. */
    public ForwardPass forwardPair(int[] prompt, int[] chosen, int[] rejected, boolean recompute, long dropoutSeed) {
        return forward(checkedPair(prompt, chosen, rejected), recompute, dropoutSeed);
    }

    private Layout checkedPair(int[] prompt, int[] chosen, int[] rejected) {
        Layout layout = Layout.pair(prompt, chosen, rejected);
        for (int t = 0; t < layout.length(); t++) checkToken(layout.tokens[t], t);
        if (layout.span() > cfg.contextLength()) {
            throw new IllegalArgumentException(layout.span() + " tokens exceed the model's context of " + cfg.contextLength());
        }
        return layout;
    }

    private ForwardPass forward(Layout layout, boolean recompute, long dropoutSeed) {
        Rope.Tables rope = ropeTable(layout);
        int L = layers.size();
        LayerActivations[] acts = recompute ? null : spareActivations(layout.length());
        float[][] inputs = recompute ? new float[L][] : null;
        Dropout dropout = lora != null && lora.config().dropout() > 0 ? new Dropout(lora.config().dropout(), dropoutSeed, layout.positions) : null;
        float[] x = run(layout, rope, acts, inputs, dropout);
        float[] unit = new float[layout.sources.length * cfg.dim()];
        float[] lp = completionLogProbs(x, layout, unit);
        return new ForwardPass(layout, lp, x, rope, acts, inputs, unit, dropout);
    }

    /**
     * Back-propagates dLoss/dlogp (one value per log-prob of the pass, both branches of a pair
     * in order) through the model, adding the gradient of every adapter parameter to
     * {@code grads} (the adapter's layout). The base weights are frozen: only the adapter gets
     * gradients.
     */
    public void backward(ForwardPass pass, float[] dLogProbs, LoraWeights grads) {
        if (lora == null) throw new IllegalStateException("no adapter set: nothing to train");
        if (grads.parameterCount() != lora.parameterCount()) throw new IllegalArgumentException("gradient layout differs from the adapter's");
        if (dLogProbs.length != pass.logProbs.length) {
            throw new IllegalArgumentException(dLogProbs.length + " gradients for " + pass.logProbs.length + " log-probs");
        }
        if (pass.isConsumed()) throw new IllegalStateException("this pass has been through a backward already; run the forward again");
        new Backprop(this, pass, grads, null).run(dLogProbs);
    }

    /**
     * A set of per-layer training activations to fill: a recycled one when it is big enough
     * for T rows and made for the current adapter, otherwise empty slots. Reusing them keeps
     * the hundreds of MiB a step holds from being garbage every step.
     */
    private synchronized LayerActivations[] spareActivations(int T) {
        LoraConfig lc = lora == null ? null : lora.config();
        LayerActivations[] s = spare;
        spare = null;
        if (s != null && s[0].capacity >= T && java.util.Objects.equals(s[0].lora, lc)) return s;
        return new LayerActivations[layers.size()];
    }

    /** Takes back a finished pass's activations for the next training forward. */
    synchronized void recycle(LayerActivations[] acts) {
        if (acts != null && acts[0] != null && (spare == null || spare[0].capacity < acts[0].capacity)) spare = acts;
    }

    private Rope.Tables ropeTable(Layout layout) {
        return Rope.tables(layout.positions, cfg, ropeFactors);
    }

    /**
     * Embeds the layout's tokens and runs every block. With {@code acts} each block's
     * activations are kept; with {@code inputs} only each block's input (for recomputation).
     * Dropout (training forwards only) may be null.
     */
    private float[] run(Layout layout, Rope.Tables rope, LayerActivations[] acts, float[][] inputs, Dropout dropout) {
        int T = layout.length();
        float[] x = embed(layout.tokens);
        LoraConfig lc = lora == null ? null : lora.config();
        LayerActivations shared = acts == null ? new LayerActivations(T, cfg, lc, false) : null;
        float[] o = new float[T * cfg.dim()];
        for (int l = 0; l < layers.size(); l++) {
            if (inputs != null) inputs[l] = x.clone();
            LayerActivations a = shared;
            if (acts != null) {
                if (acts[l] == null) acts[l] = new LayerActivations(T, cfg, lc, true);
                a = acts[l];
            }
            a.dropout = dropout;
            layer(l, x, layout, rope, a, o);
        }
        return x;
    }

    /**
     * Log-probs of the layout's predictions from the final residual x. With {@code unit}
     * (training) it works a chunk of positions at a time and also stores, per prediction,
     * (onehot − softmax)·W_out: the gradient of that log-prob by the normalised hidden state,
     * so the backward needs no second pass over the vocabulary.
     */
    private float[] completionLogProbs(float[] x, Layout layout, float[] unit) {
        int n = layout.sources.length, d = cfg.dim(), V = cfg.vocab();
        if (unit == null) {
            // Inference needs only each row's normaliser and one logit: reduce the logits
            // panel by panel as the product makes them, holding none of them whole.
            float[] rows = new float[n * d];
            outputRows(x, layout.sources, 0, n, rows);
            return OnlineLogSoftmax.logProbs(output, rows, n, layout.targets, cfg.features().finalSoftcap(), par);
        }
        float[] out = new float[n];
        // Vocabulary logits a chunk of positions at a time: T × vocab floats would be the
        // largest buffer of the whole forward.
        int chunk = Math.max(1, Math.min(n, LOGIT_CHUNK_FLOATS / V));
        float[] rows = new float[chunk * d], logits = new float[chunk * V];
        for (int c0 = 0; c0 < n; c0 += chunk) {
            int m = Math.min(chunk, n - c0), first = c0;
            outputRows(x, layout.sources, first, m, rows);
            output.matmul(rows, m, logits, par);
            float cap = cfg.features().finalSoftcap();
            // Each row on its own: the log-prob, then onehot − softmax in place (times the
            // soft cap's slope 1 − tanh² where the logits are capped).
            par.forRange(m, ROWS, (i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    int o = i * V, target = layout.targets[first + i];
                    if (cap > 0) SoftCap.apply(logits, o, V, cap);
                    double lse = VectorMath.logSumExp(logits, o, V);
                    out[first + i] = (float) (logits[o + target] - lse);
                    for (int v = 0; v < V; v++) {
                        float z = logits[o + v];
                        logits[o + v] = -(float) Math.exp(z - lse);
                        if (v == target) logits[o + v] += 1;
                        if (cap > 0) logits[o + v] *= SoftCap.slope(z, cap);
                    }
                }
            });
            output.matmulTransposedAdd(logits, m, unit, c0 * d, par);
        }
        return out;
    }

    /** rows[i] = the final norm of residual row sources[first + i], for m rows, on all threads. */
    private void outputRows(float[] x, int[] sources, int first, int m, float[] rows) {
        int d = cfg.dim();
        par.forRange(m, ROWS, (i0, i1) -> {
            for (int i = i0; i < i1; i++) Ops.rmsNorm(x, sources[first + i] * d, outputNorm, rows, i * d, d, cfg.rmsEps());
        });
    }

    private void checkRange(int[] tokens, int from) {
        int T = tokens.length;
        if (from < 1 || from > T) throw new IllegalArgumentException("from must lie in [1, " + T + "], got " + from);
        if (T > cfg.contextLength()) {
            throw new IllegalArgumentException(T + " tokens exceed the model's context of " + cfg.contextLength());
        }
    }

    private void checkToken(int token, int position) {
        if (token < 0 || token >= cfg.vocab()) {
            throw new IllegalArgumentException("token " + token + " at position " + position + " outside the vocabulary of " + cfg.vocab());
        }
    }

    /** Vocabulary logits predicting tokens[from..T): (T - from) rows of vocab values. */
    public float[] logits(int[] tokens, int from) {
        checkRange(tokens, from);
        int T = tokens.length;
        float[] h = finalHidden(tokens);
        int n = T - from, d = cfg.dim();
        float[] rows = new float[n * d];
        System.arraycopy(h, (from - 1) * d, rows, 0, n * d);
        float[] logits = new float[n * cfg.vocab()];
        output.matmul(rows, n, logits, par);
        if (cfg.features().finalSoftcap() > 0) SoftCap.apply(logits, 0, logits.length, cfg.features().finalSoftcap());
        return logits;
    }

    /** The final normalised hidden state of every position (T × dim). */
    float[] finalHidden(int[] tokens) {
        int T = tokens.length, d = cfg.dim();
        Layout layout = Layout.sequence(tokens, T);
        float[] x = run(layout, ropeTable(layout), null, null, null);
        float[] out = new float[T * d];
        for (int t = 0; t < T; t++) Ops.rmsNorm(x, t * d, outputNorm, out, t * d, d, cfg.rmsEps());
        return out;
    }

    private float[] embed(int[] tokens) {
        int T = tokens.length, d = cfg.dim();
        float[] x = new float[T * d];
        for (int t = 0; t < T; t++) {
            checkToken(tokens[t], t);
            tokenEmbedding.decodeRow(tokens[t], x, t * d);
        }
        float scale = cfg.features().embedScale();
        if (scale != 1f) {
            for (int i = 0; i < x.length; i++) x[i] *= scale;
        }
        return x;
    }

    /**
     * One block over the residual stream x (updated in place), filling {@code a}; o is
     * T × dim scratch. When {@code a} is kept for the backward it also receives copies of the
     * block's input and mid-residual, and Q/K before their norms.
     */
    void layer(int l, float[] x, Layout layout, Rope.Tables ropes, LayerActivations a, float[] o) {
        LayerWeights w = layers.get(l);
        int T = layout.length();
        int d = cfg.dim(), hd = cfg.headDim(), ffn = cfg.ffn();
        float eps = cfg.rmsEps();
        ArchFeatures f = cfg.features();
        if (a.xIn != null) System.arraycopy(x, 0, a.xIn, 0, T * d);
        // Row-wise steps run on all threads too: with two cores, a serial tenth of the work would cost a fifth of the time.
        par.forRange(T, ROWS, (t0, t1) -> {
            for (int t = t0; t < t1; t++) Ops.rmsNorm(x, t * d, w.attnNorm(), a.h1, t * d, d, eps);
        });
        if (w.wqkv() != null) {
            project(l, LoraTarget.ATTN_QKV, w.wqkv(), a.h1, T, a.qkv, a);
            Fused.split(a.qkv, T, new float[][]{a.q, a.k, a.v}, new int[]{cfg.qDim(), cfg.kvDim(), cfg.kvDim()});
        } else {
            project(l, LoraTarget.ATTN_Q, w.wq(), a.h1, T, a.q, a);
            project(l, LoraTarget.ATTN_K, w.wk(), a.h1, T, a.k, a);
            project(l, LoraTarget.ATTN_V, w.wv(), a.h1, T, a.v, a);
        }
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
        project(l, LoraTarget.ATTN_OUTPUT, w.wo(), a.att, T, o, a);
        postNormAndAdd(x, o, w.attnPostNorm(), a.oAtt, T);
        par.forRange(T, ROWS, (t0, t1) -> {
            if (a.xMid != null) System.arraycopy(x, t0 * d, a.xMid, t0 * d, (t1 - t0) * d);
            for (int t = t0; t < t1; t++) Ops.rmsNorm(x, t * d, w.ffnNorm(), a.h2, t * d, d, eps);
        });
        if (w.gate() == null) {
            project(l, LoraTarget.FFN_UP, w.up(), a.h2, T, a.gu, a);
            Fused.split(a.gu, T, new float[][]{a.g, a.u}, new int[]{ffn, ffn});
        } else {
            project(l, LoraTarget.FFN_GATE, w.gate(), a.h2, T, a.g, a);
            project(l, LoraTarget.FFN_UP, w.up(), a.h2, T, a.u, a);
        }
        boolean gelu = f.gelu();
        par.forRange(T, ROWS, (t0, t1) -> {
            for (int i = t0 * ffn; i < t1 * ffn; i++) a.act[i] = (gelu ? gelu(a.g[i]) : Ops.silu(a.g[i])) * a.u[i];
        });
        project(l, LoraTarget.FFN_DOWN, w.down(), a.act, T, o, a);
        postNormAndAdd(x, o, w.ffnPostNorm(), a.oFfn, T);
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
        return new Attention.Options(cfg.attentionScale(), cfg.features().window(l), cfg.features().attnSoftcap());
    }

    /**
     * y = W·x, plus scale·B·(A·x) where the adapter adapts this projection (as llama.cpp
     * applies LoRA); A·x is kept in {@code a} for the backward.
     */
    private void project(int layer, LoraTarget target, QuantMatrix w, float[] x, int T, float[] y, LayerActivations a) {
        w.matmul(x, T, y, par);
        LoraPair p = lora == null ? null : lora.get(layer, target);
        if (p == null) return;
        float[] ax = a.ax.get(target);
        int r = p.rank(), nIn = p.nIn(), nOut = p.nOut();
        float scale = lora.config().scale();
        float[] A = SegmentMath.toArray(p.a()), B = SegmentMath.toArray(p.b());
        float[] bax = new float[T * nOut];
        float[] xl = a.dropout == null ? x : a.dropout.apply(x, T, nIn, layer, target);
        par.forRange(T, 4, (t0, t1) -> {
            PackedGemm.abT(xl, t0 * nIn, nIn, t1 - t0, A, 0, nIn, nIn, r, ax, t0 * r, r, false);
            PackedGemm.abT(ax, t0 * r, r, t1 - t0, B, 0, r, r, nOut, bax, t0 * nOut, nOut, false);
            for (int i = t0 * nOut; i < t1 * nOut; i++) y[i] += scale * bax[i];
        });
    }

    ModelConfig cfg() {
        return cfg;
    }

    /** The MLP's GELU as this model computes it (llama.cpp's F16 table unless {@link #smoothGelu(boolean)}). */
    float gelu(float x) {
        return smoothGelu ? Gelu.exact(x) : Gelu.apply(x);
    }

    /** Switches the forward's GELU to the smooth function (gradient checks) or back to llama.cpp's table. */
    void smoothGelu(boolean on) {
        this.smoothGelu = on;
    }

    LayerWeights layerWeights(int l) {
        return layers.get(l);
    }

    QuantMatrix outputMatrix() {
        return output;
    }

    float[] outputNorm() {
        return outputNorm;
    }

    Parallel par() {
        return par;
    }

    LoraWeights adapter() {
        return lora;
    }

    @Override
    public void close() {
        par.close();
        file.close();
        if (weights != null) weights.close();
    }
}
