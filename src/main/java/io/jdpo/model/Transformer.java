package io.jdpo.model;

import io.jdpo.tensor.VectorMath;
import io.jdpo.gguf.GgufModel;
import io.jdpo.gguf.GgufTensorInfo;
import io.jdpo.tensor.Dequantizer;
import io.jdpo.tensor.Gemm;
import io.jdpo.tensor.LoraPair;
import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.QuantMatrix;

import java.io.IOException;
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
    /**
     * Logits computed at once by {@link #logProbs}: 32 MiB of floats. Each chunk decodes the
     * whole output matrix again, so chunks are kept few (two for 512 tokens of a 32k vocabulary).
     */
    private static final int LOGIT_CHUNK_FLOATS = 8 << 20;

    private Transformer(GgufModel file, int threads) {
        this.file = file;
        this.cfg = ModelConfig.from(file);
        this.par = new Parallel(threads);
        this.tokenEmbedding = matrix("token_embd.weight", cfg.dim(), cfg.vocab());
        this.output = has("output.weight") ? matrix("output.weight", cfg.dim(), cfg.vocab()) : tokenEmbedding;
        this.outputNorm = vector("output_norm.weight", cfg.dim());
        this.ropeFactors = has("rope_freqs.weight") ? vector("rope_freqs.weight", cfg.ropeDim() / 2) : null;
        List<LayerWeights> ls = new ArrayList<>();
        for (int l = 0; l < cfg.layers(); l++) {
            String p = "blk." + l + ".";
            boolean bias = cfg.arch() == Architecture.QWEN2;
            boolean qk = cfg.arch() == Architecture.QWEN3;
            ls.add(new LayerWeights(vector(p + "attn_norm.weight", cfg.dim()),
                    matrix(p + "attn_q.weight", cfg.dim(), cfg.qDim()), matrix(p + "attn_k.weight", cfg.dim(), cfg.kvDim()),
                    matrix(p + "attn_v.weight", cfg.dim(), cfg.kvDim()), matrix(p + "attn_output.weight", cfg.qDim(), cfg.dim()),
                    bias ? vector(p + "attn_q.bias", cfg.qDim()) : null, bias ? vector(p + "attn_k.bias", cfg.kvDim()) : null,
                    bias ? vector(p + "attn_v.bias", cfg.kvDim()) : null,
                    qk ? vector(p + "attn_q_norm.weight", cfg.headDim()) : null, qk ? vector(p + "attn_k_norm.weight", cfg.headDim()) : null,
                    vector(p + "ffn_norm.weight", cfg.dim()),
                    matrix(p + "ffn_gate.weight", cfg.dim(), cfg.ffn()), matrix(p + "ffn_up.weight", cfg.dim(), cfg.ffn()),
                    matrix(p + "ffn_down.weight", cfg.ffn(), cfg.dim())));
        }
        this.layers = List.copyOf(ls);
    }

    /** Opens a GGUF model (any shard of a split one) for the Java forward with {@code threads} workers. */
    public static Transformer load(Path path, int threads) throws IOException {
        GgufModel g = GgufModel.open(path);
        try {
            return new Transformer(g, threads);
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
        return new QuantMatrix(name, t.type(), file.data(t), cols, rows);
    }

    private float[] vector(String name, int n) {
        GgufTensorInfo t = tensor(name, n);
        if (!Dequantizer.supports(t.type())) throw new io.jdpo.tensor.UnsupportedTypeException(name, t.type());
        float[] v = new float[n];
        Dequantizer.dequantize(t.type(), file.data(t), v, 0, n);
        return v;
    }

    /**
     * log p(tokens[t] | tokens[0..t)) for every t in [from, tokens.length); from must be at
     * least 1 (the first token has no prediction).
     */
    public float[] logProbs(int[] tokens, int from) {
        checkRange(tokens, from);
        float[] h = finalHidden(tokens);
        int n = tokens.length - from, d = cfg.dim(), V = cfg.vocab();
        float[] out = new float[n];
        // Vocabulary logits a chunk of positions at a time: T × vocab floats would be the
        // largest buffer of the whole forward.
        int chunk = Math.max(1, Math.min(n, LOGIT_CHUNK_FLOATS / V));
        float[] rows = new float[chunk * d], logits = new float[chunk * V];
        for (int c0 = 0; c0 < n; c0 += chunk) {
            int m = Math.min(chunk, n - c0);
            System.arraycopy(h, (from - 1 + c0) * d, rows, 0, m * d);
            output.matmul(rows, m, logits, par);
            for (int i = 0; i < m; i++) {
                out[c0 + i] = (float) (logits[i * V + tokens[from + c0 + i]] - VectorMath.logSumExp(logits, i * V, V));
            }
        }
        return out;
    }

    private void checkRange(int[] tokens, int from) {
        int T = tokens.length;
        if (from < 1 || from > T) throw new IllegalArgumentException("from must lie in [1, " + T + "], got " + from);
        if (T > cfg.contextLength()) {
            throw new IllegalArgumentException(T + " tokens exceed the model's context of " + cfg.contextLength());
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
        return logits;
    }

    /** The final normalised hidden state of every position (T × dim). */
    float[] finalHidden(int[] tokens) {
        int T = tokens.length, d = cfg.dim();
        float[] x = new float[T * d];
        for (int t = 0; t < T; t++) {
            if (tokens[t] < 0 || tokens[t] >= cfg.vocab()) {
                throw new IllegalArgumentException("token " + tokens[t] + " at position " + t + " outside the vocabulary of " + cfg.vocab());
            }
            tokenEmbedding.decodeRow(tokens[t], x, t * d);
        }
        Rope.Table rope = Rope.table(T, cfg, ropeFactors);
        Workspace ws = new Workspace(T, cfg);
        for (int l = 0; l < layers.size(); l++) layer(l, layers.get(l), x, T, rope, ws);
        float[] out = new float[T * d];
        for (int t = 0; t < T; t++) Ops.rmsNorm(x, t * d, outputNorm, out, t * d, d, cfg.rmsEps());
        return out;
    }

    /** The per-layer buffers of one forward, allocated once and reused by every layer. */
    private record Workspace(float[] h, float[] q, float[] k, float[] v, float[] att, float[] o, float[] g, float[] u) {
        Workspace(int T, ModelConfig c) {
            this(new float[T * c.dim()], new float[T * c.qDim()], new float[T * c.kvDim()], new float[T * c.kvDim()],
                    new float[T * c.qDim()], new float[T * c.dim()], new float[T * c.ffn()], new float[T * c.ffn()]);
        }
    }

    private void layer(int l, LayerWeights w, float[] x, int T, Rope.Table rope, Workspace ws) {
        int d = cfg.dim(), hd = cfg.headDim();
        float[] h = ws.h(), q = ws.q(), k = ws.k(), v = ws.v(), o = ws.o();
        for (int t = 0; t < T; t++) Ops.rmsNorm(x, t * d, w.attnNorm(), h, t * d, d, cfg.rmsEps());
        project(l, LoraTarget.ATTN_Q, w.wq(), h, T, q);
        project(l, LoraTarget.ATTN_K, w.wk(), h, T, k);
        project(l, LoraTarget.ATTN_V, w.wv(), h, T, v);
        if (w.bq() != null) {
            Ops.addBias(q, w.bq(), T);
            Ops.addBias(k, w.bk(), T);
            Ops.addBias(v, w.bv(), T);
        }
        if (w.qNorm() != null) {
            for (int i = 0; i < T * cfg.heads(); i++) Ops.rmsNorm(q, i * hd, w.qNorm(), q, i * hd, hd, cfg.rmsEps());
            for (int i = 0; i < T * cfg.kvHeads(); i++) Ops.rmsNorm(k, i * hd, w.kNorm(), k, i * hd, hd, cfg.rmsEps());
        }
        Rope.apply(q, T, cfg.heads(), cfg, rope);
        Rope.apply(k, T, cfg.kvHeads(), cfg, rope);
        Attention.causal(q, k, v, ws.att(), T, cfg, par);
        project(l, LoraTarget.ATTN_OUTPUT, w.wo(), ws.att(), T, o);
        for (int i = 0; i < T * d; i++) x[i] += o[i];

        for (int t = 0; t < T; t++) Ops.rmsNorm(x, t * d, w.ffnNorm(), h, t * d, d, cfg.rmsEps());
        float[] g = ws.g(), u = ws.u();
        project(l, LoraTarget.FFN_GATE, w.gate(), h, T, g);
        project(l, LoraTarget.FFN_UP, w.up(), h, T, u);
        for (int i = 0; i < T * cfg.ffn(); i++) g[i] = Ops.silu(g[i]) * u[i];
        project(l, LoraTarget.FFN_DOWN, w.down(), g, T, o);
        for (int i = 0; i < T * d; i++) x[i] += o[i];
    }

    /** y = W·x, plus scale·B·(A·x) where the adapter adapts this projection (as llama.cpp applies LoRA). */
    private void project(int layer, LoraTarget target, QuantMatrix w, float[] x, int T, float[] y) {
        w.matmul(x, T, y, par);
        LoraPair p = lora == null ? null : lora.get(layer, target);
        if (p == null) return;
        float[] ax = new float[T * p.rank()], bax = new float[T * p.nOut()];
        Gemm.rowDots(x, T, p.a(), p.rank(), p.nIn(), ax, 0, p.rank());
        Gemm.rowDots(ax, T, p.b(), p.nOut(), p.rank(), bax, 0, p.nOut());
        float scale = lora.config().scale();
        for (int i = 0; i < T * p.nOut(); i++) y[i] += scale * bax[i];
    }

    @Override
    public void close() {
        par.close();
        file.close();
    }
}
