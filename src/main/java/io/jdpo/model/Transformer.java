package io.jdpo.model;

import io.jdpo.gguf.GgufModel;
import io.jdpo.tensor.Arithmetic;
import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.QuantMatrix;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The Java forward and backward of a Llama-family model over a whole sequence at once (causal
 * attention, no KV cache), on the quantized weights memory-mapped from the GGUF file. It
 * returns log-probabilities of chosen positions, computing vocabulary logits only there, and
 * back-propagates into a LoRA adapter. The parts have classes of their own: the weights
 * ({@link ModelWeights}), one block ({@link DecoderBlock}), the output head ({@link OutputHead}),
 * the packed pair sequence ({@link Layout}) and the backward ({@link Backprop}).
 *
 * <p>The transformer owns the opened GGUF file (its mapping) and its worker threads: both are
 * released by {@link #close()}, after which no method may be called. It does not own the adapter
 * given to {@link #setAdapter}. One forward or backward at a time: the adapter and arithmetic
 * settings are read by every pass without locking, so callers that share an instance between
 * threads serialise their calls. Token arrays hold vocabulary ids in [0, vocab).
 */
public final class Transformer implements AutoCloseable {
    private final GgufModel file;
    private final ModelConfig cfg;
    private final ModelWeights weights;
    private final DecoderBlock block;
    private final OutputHead head;
    private final Parallel par;
    private LoraWeights lora;
    /** Kept activations of finished passes, each holding {@link #keptRows} rows, for the next training forwards. */
    private final List<KeptActivations> spare = new ArrayList<>();
    /** The rows kept activations are made for: the longest pass so far, rounded up. */
    private int keptRows;

    private Transformer(GgufModel file, int threads, WeightPlacement placement) {
        this.file = file;
        this.cfg = ModelConfig.from(file);
        this.par = new Parallel(threads);
        this.weights = new ModelWeights(file, cfg, placement);
        this.block = new DecoderBlock(cfg, weights, par, () -> lora, ggmlOrderWeights(weights));
        this.head = new OutputHead(cfg, weights, par);
    }

    /**
     * Opens a GGUF model (any shard of a split one) for the Java forward with {@code threads} workers.
     *
     * @param path    the GGUF file, or any shard of a split model
     * @param threads worker threads for the kernels, ≥ 1
     * @return the model, weights read in place from the mapping
     * @throws IOException              if a file cannot be opened or mapped
     * @throws UnsupportedModelException if the architecture, a metadata value or a tensor's shape is
     *                                   not one the Java forward supports (the message names it)
     * @throws io.jdpo.tensor.UnsupportedTypeException if a tensor's type cannot be decoded
     * @throws IllegalStateException    if this JVM cannot run the vector kernels (the message names
     *                                  {@code -Djdpo.simd=scalar} as the way out)
     */
    public static Transformer load(Path path, int threads) throws IOException {
        return load(path, threads, WeightPlacement.IN_PLACE);
    }

    /**
     * As {@link #load(Path, int)}, with every tensor kept where {@code placement} says (full-parameter training).
     *
     * @param path      the GGUF file, or any shard of a split model
     * @param threads   worker threads for the kernels, ≥ 1
     * @param placement where each tensor is kept once loaded
     * @return the model
     * @throws IOException              if a file cannot be opened or mapped
     * @throws UnsupportedModelException if the model is not one the Java forward supports
     * @throws io.jdpo.tensor.UnsupportedTypeException if a tensor's type cannot be decoded
     * @throws IllegalStateException    if this JVM cannot run the vector kernels
     */
    public static Transformer load(Path path, int threads, WeightPlacement placement) throws IOException {
        // Kernels that cannot run on this JVM fail here, as one line, not inside the first forward.
        io.jdpo.tensor.Simd.check();
        GgufModel g = GgufModel.open(path);
        try {
            return new Transformer(g, threads, placement);
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    /** {@return the hyper-parameters read from the file's metadata} */
    public ModelConfig config() {
        return cfg;
    }

    /**
     * How every later product treats its activations: {@link Arithmetic#DEPLOYED} (the
     * default) rounds them as llama.cpp's CPU backend does before each quantized product,
     * {@link Arithmetic#FLOAT} keeps them as floats. Gradients pass straight through the
     * rounding either way.
     *
     * @param a the arithmetic of every later product, not null
     * @return this transformer
     */
    public Transformer arithmetic(Arithmetic a) {
        for (QuantMatrix m : matrices()) m.arithmetic(a);
        return this;
    }

    /** {@return the arithmetic products use now} */
    public Arithmetic arithmetic() {
        return weights.output.arithmetic();
    }

    /**
     * Whether the two arithmetics differ on this model.
     *
     * @return true if some projection's weights (the token embedding aside) are not F32
     */
    public boolean roundsActivations() {
        for (QuantMatrix m : matrices()) {
            if (m != weights.tokenEmbedding && m.type() != io.jdpo.gguf.GgmlType.F32) return true;
        }
        return false;
    }

    /**
     * True when every projection's weights are F32 or F16: then the deployed arithmetic is
     * llama.cpp's float arithmetic bit for bit (products and attention in ggml's order), and
     * worth the scalar attention that takes; quantized products have integer block sums of
     * their own, and keep the packed attention.
     */
    private static boolean ggmlOrderWeights(ModelWeights weights) {
        for (QuantMatrix m : matrices(weights)) {
            if (m != weights.tokenEmbedding && !m.hasGgmlOrder()) return false;
        }
        return true;
    }

    private java.util.List<QuantMatrix> matrices() {
        return matrices(weights);
    }

    /** Every weight matrix (the token embedding too: tied models multiply with it). */
    private static java.util.List<QuantMatrix> matrices(ModelWeights weights) {
        java.util.List<QuantMatrix> all = new java.util.ArrayList<>(java.util.List.of(weights.tokenEmbedding, weights.output));
        for (LayerWeights l : weights.layers) {
            // Fused models (Phi-3) have attn_qkv instead of wq/wk/wv and no gate of their own.
            for (QuantMatrix m : new QuantMatrix[]{l.wq(), l.wk(), l.wv(), l.wqkv(), l.wo(), l.gate(), l.up(), l.down()}) {
                if (m != null) all.add(m);
            }
        }
        return all;
    }

    /** {@return the GGUF file the weights come from (its metadata and tensor table); owned by this transformer} */
    public GgufModel file() {
        return file;
    }

    /**
     * Adds a LoRA adapter to every later forward (null removes it); its shapes must fit this model.
     * The adapter is read, not copied: updates to its weights show in the next forward.
     *
     * @param adapter the adapter, or null for the base model alone
     * @throws IllegalArgumentException if a pair's layer or shape does not fit this model; the
     *                                  adapter in use is then left as it was
     */
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

    /**
     * log p(tokens[t] | tokens[0..t)) for every t in [from, tokens.length); from must be at
     * least 1 (the first token has no prediction).
     *
     * @param tokens the sequence
     * @param from   the first position whose token is scored, in [1, tokens.length]
     * @return tokens.length − from natural-log probabilities
     * @throws IllegalArgumentException if {@code from} is out of range, a token lies outside the
     *                                  vocabulary or the sequence exceeds the model's context
     */
    public float[] logProbs(int[] tokens, int from) {
        Layout layout = checkedSequence(tokens, from);
        return head.logProbs(run(layout, ropeTable(layout), null, null, null), layout, null);
    }

    /**
     * As {@link #logProbs(int[], int)}; {@code top[t - from]} receives the largest log-prob of
     * each prediction's row (the target is the model's top-1 exactly where the two are equal).
     *
     * @param tokens the sequence
     * @param from   first predicted position, at least 1
     * @param top    receives tokens.length − from values
     * @return the log-probs of tokens[from..)
     */
    public float[] logProbs(int[] tokens, int from, float[] top) {
        return logProbs(tokens, from, top, null);
    }

    /**
     * As {@link #logProbs(int[], int, float[])}; {@code entropy[t - from]} (when not null)
     * receives the entropy of each prediction's distribution, nats.
     *
     * @param tokens  the sequence
     * @param from    first predicted position, at least 1
     * @param top     receives tokens.length − from values
     * @param entropy receives tokens.length − from values, or null
     * @return the log-probs of tokens[from..)
     */
    public float[] logProbs(int[] tokens, int from, float[] top, float[] entropy) {
        Layout layout = checkedSequence(tokens, from);
        int n = layout.sources.length;
        if (top.length != n || entropy != null && entropy.length != n) {
            throw new IllegalArgumentException("top/entropy hold " + top.length + "/" + (entropy == null ? 0 : entropy.length)
                    + " values for " + n + " predictions");
        }
        return head.logProbs(run(layout, ropeTable(layout), null, null, null), layout, null, null, top, entropy);
    }

    /**
     * Log-probs of both completions of a preference pair, the chosen's then the rejected's,
     * with the prompt computed once (the inference twin of {@link #forwardPair}). In the float
     * arithmetic they equal those of the two sequences scored apart, bit for bit; in the deployed
     * one they are llama.cpp's log-probs of the pair as the reference scorer decodes it (its
     * prompt, then both completions), bit for bit where ggml's order is known.
     *
     * @param prompt   the shared prompt, not empty
     * @param chosen   the chosen completion
     * @param rejected the rejected completion
     * @return chosen.length + rejected.length log-probs: each completion token given the prompt and
     *         the completion's earlier tokens
     * @throws IllegalArgumentException if a token lies outside the vocabulary or prompt plus the
     *                                  longer completion exceed the model's context
     */
    public float[] logProbsPair(int[] prompt, int[] chosen, int[] rejected) {
        Layout layout = checkedPair(prompt, chosen, rejected);
        return head.logProbs(run(layout, ropeTable(layout), null, null, null), layout, null);
    }

    /**
     * The training forward of one sequence: log-probs of tokens[from..T) plus what
     * {@link #backward} needs. With {@code recompute}, only each layer's input is kept
     * (T × dim floats per layer) and the backward recomputes the rest, one layer at a time.
     *
     * @param tokens    the sequence
     * @param from      the first position whose token is scored, in [1, tokens.length]
     * @param recompute true to keep only each layer's input, trading a second forward for memory
     * @return the pass, to hand to one {@link #backward}
     * @throws IllegalArgumentException as {@link #logProbs(int[], int)}
     */
    public ForwardPass forward(int[] tokens, int from, boolean recompute) {
        return forward(tokens, from, recompute, 0);
    }

    /**
     * As {@link #forward(int[], int, boolean)}; {@code dropoutSeed} picks the LoRA dropout masks (when the adapter has dropout).
     *
     * @param tokens      the sequence
     * @param from        the first position whose token is scored, in [1, tokens.length]
     * @param recompute   true to keep only each layer's input
     * @param dropoutSeed the seed of the dropout masks: the same seed gives the same masks
     * @return the pass, to hand to one {@link #backward}
     * @throws IllegalArgumentException as {@link #logProbs(int[], int)}
     */
    public ForwardPass forward(int[] tokens, int from, boolean recompute, long dropoutSeed) {
        return forward(checkedSequence(tokens, from), recompute, dropoutSeed);
    }

    /**
     * The training forward of a preference pair with the prompt computed once: prompt,
     * chosen and rejected packed into one sequence where each completion attends to the prompt
     * and to itself. Log-probs come out as the chosen completion's then the rejected one's
     * (branches 0 and 1 of the pass). In the float arithmetic they equal those of two separate
     * sequences; in the deployed one they are llama.cpp's scoring of the pair as the reference
     * scorer runs it (the prompt decoded, then both completions in one decode), to the bit.
     *
     * @param prompt    the shared prompt, not empty
     * @param chosen    the chosen completion
     * @param rejected  the rejected completion
     * @param recompute true to keep only each layer's input
     * @return the pass, to hand to one {@link #backward}
     * @throws IllegalArgumentException as {@link #logProbsPair}
     */
    public ForwardPass forwardPair(int[] prompt, int[] chosen, int[] rejected, boolean recompute) {
        return forwardPair(prompt, chosen, rejected, recompute, 0);
    }

    /**
     * As {@link #forwardPair(int[], int[], int[], boolean)}; {@code dropoutSeed} picks the LoRA dropout masks.
     *
     * @param prompt      the shared prompt, not empty
     * @param chosen      the chosen completion
     * @param rejected    the rejected completion
     * @param recompute   true to keep only each layer's input
     * @param dropoutSeed the seed of the dropout masks: the same seed gives the same masks
     * @return the pass, to hand to one {@link #backward}
     * @throws IllegalArgumentException as {@link #logProbsPair}
     */
    public ForwardPass forwardPair(int[] prompt, int[] chosen, int[] rejected, boolean recompute, long dropoutSeed) {
        return forward(checkedPair(prompt, chosen, rejected), recompute, dropoutSeed);
    }

    private Layout checkedSequence(int[] tokens, int from) {
        int T = tokens.length;
        if (from < 1 || from > T) throw new IllegalArgumentException("from must lie in [1, " + T + "], got " + from);
        return checked(Layout.sequence(tokens, from));
    }

    private Layout checkedPair(int[] prompt, int[] chosen, int[] rejected) {
        return checked(Layout.pair(prompt, chosen, rejected));
    }

    /** A layout whose tokens lie in the vocabulary and whose positions fit the model's context. */
    private Layout checked(Layout layout) {
        for (int t = 0; t < layout.length(); t++) {
            int token = layout.tokens[t];
            if (token < 0 || token >= cfg.vocab()) {
                throw new IllegalArgumentException("token " + token + " at position " + t + " outside the vocabulary of " + cfg.vocab());
            }
        }
        if (layout.span() > cfg.contextLength()) {
            throw new IllegalArgumentException(layout.span() + " tokens exceed the model's context of " + cfg.contextLength());
        }
        return layout;
    }

    private ForwardPass forward(Layout layout, boolean recompute, long dropoutSeed) {
        Rope.Tables rope = ropeTable(layout);
        int L = cfg.layers();
        KeptActivations acts = recompute ? null : spareActivations(layout.length());
        float[][] inputs = recompute ? new float[L][] : null;
        Dropout dropout = lora != null && lora.config().dropout() > 0 ? new Dropout(lora.config().dropout(), dropoutSeed, layout.positions) : null;
        float[] x = run(layout, rope, acts, inputs, dropout);
        float[] unit = new float[layout.sources.length * cfg.dim()];
        int n = layout.sources.length;
        float[] logSquares = new float[n], top = new float[n], entropy = new float[n];
        float[] lp = head.logProbs(x, layout, unit, logSquares, top, entropy);
        return new ForwardPass(layout, lp, x, rope, acts, inputs, unit, dropout, logSquares, top, entropy);
    }

    /**
     * Back-propagates dLoss/dlogp (one value per log-prob of the pass, both branches of a pair
     * in order) through the model, adding the gradient of every adapter parameter to
     * {@code grads} (the adapter's layout). The base weights are frozen: only the adapter gets
     * gradients. A pass goes through one backward only.
     *
     * @param pass      a pass of this transformer's forward, with the adapter still set
     * @param dLogProbs dLoss/dlogp, one per log-prob of {@code pass}
     * @param grads     an adapter of the same layout as the one set; gradients are added to it
     * @throws IllegalStateException    if no adapter is set, or the pass has been through a backward already
     * @throws IllegalArgumentException if {@code grads}' layout or {@code dLogProbs}' length does not match
     */
    public void backward(ForwardPass pass, float[] dLogProbs, LoraWeights grads) {
        if (lora == null) throw new IllegalStateException("no adapter set: nothing to train");
        if (grads.parameterCount() != lora.parameterCount()) throw new IllegalArgumentException("gradient layout differs from the adapter's");
        checkBackward(pass, dLogProbs);
        new Backprop(this, pass, grads, null).run(dLogProbs);
    }

    /**
     * Back-propagates dLoss/dlogp into the model's own weights (full-parameter training), each
     * weight's gradient handed to {@code sink}. The adapter, if one is set, is not trained.
     *
     * @param pass      a pass of this transformer's forward
     * @param dLogProbs dLoss/dlogp, one per log-prob of {@code pass}
     * @param sink      receives each weight's gradient
     * @throws IllegalStateException    if the pass has been through a backward already
     * @throws IllegalArgumentException if {@code dLogProbs}' length does not match the pass
     */
    public void backward(ForwardPass pass, float[] dLogProbs, WeightGradients sink) {
        checkBackward(pass, dLogProbs);
        new Backprop(this, pass, null, Objects.requireNonNull(sink, "sink")).run(dLogProbs);
    }

    private static void checkBackward(ForwardPass pass, float[] dLogProbs) {
        if (dLogProbs.length != pass.logProbs.length) {
            throw new IllegalArgumentException(dLogProbs.length + " gradients for " + pass.logProbs.length + " log-probs");
        }
        if (pass.isConsumed()) throw new IllegalStateException("this pass has been through a backward already; run the forward again");
    }

    /**
     * Kept activations to fill: a recycled set when one was made for the current adapter and at
     * least T rows, otherwise a new one. Sets are made for the longest pass so far (rounded up to
     * 64 rows), so a run whose sequences vary in length makes a few of them, not one per step,
     * and the spares never outnumber the passes that were in flight at once.
     */
    private synchronized KeptActivations spareActivations(int T) {
        LoraConfig lc = loraConfig();
        keptRows = Math.max(keptRows, KeptActivations.roundedRows(T));
        spare.removeIf(s -> dropped(s, !s.fits(keptRows, lc)));
        KeptActivations s = spare.isEmpty()
                ? new KeptActivations(new LayerActivations(keptRows, cfg, lc, true), cfg, block, par)
                : spare.removeLast();
        s.begin(T);
        return s;
    }

    /**
     * {@return the bytes off the Java heap that one training forward of {@code rows} rows keeps
     * for its backward on this model with this adapter (none with recomputation), as {@link
     * #forward} reserves them; for checking a run's memory before it starts}
     *
     * @param cfg  the model's config ({@link #config()}, or {@link ModelConfig#from} of its file)
     * @param lora the adapter's config, or null for none
     * @param rows the pass's rows: a sequence's tokens, or a pair's prompt and both completions
     */
    public static long keptActivationBytes(ModelConfig cfg, LoraConfig lora, int rows) {
        return KeptActivations.bytes(cfg, lora, rows);
    }

    /** Takes back a finished pass's activations for the next training forwards. */
    synchronized void recycle(KeptActivations acts) {
        if (acts != null && !dropped(acts, !acts.fits(keptRows, loraConfig()))) spare.add(acts);
    }

    /** Frees a set of kept activations the model no longer wants ({@code drop}) at once; returns {@code drop}. */
    private static boolean dropped(KeptActivations acts, boolean drop) {
        if (drop) acts.free();
        return drop;
    }

    private LoraConfig loraConfig() {
        return lora == null ? null : lora.config();
    }

    private Rope.Tables ropeTable(Layout layout) {
        return Rope.tables(layout.positions, cfg, weights.ropeFactors);
    }

    /**
     * Embeds the layout's tokens and runs every block. With {@code acts} each block's
     * activations are kept (stored off the heap as each block finishes); with {@code inputs} only each block's input (for recomputation).
     * Dropout (training forwards only) may be null.
     */
    private float[] run(Layout layout, Rope.Tables rope, KeptActivations acts, float[][] inputs, Dropout dropout) {
        int T = layout.length();
        float[] x = embed(layout.tokens);
        LoraConfig lc = loraConfig();
        LayerActivations a = acts == null ? new LayerActivations(T, cfg, lc, false) : acts.work();
        a.dropout = dropout;
        float[] o = new float[T * cfg.dim()];
        for (int l = 0; l < cfg.layers(); l++) {
            if (inputs != null) inputs[l] = x.clone();
            block.forward(l, x, layout, rope, a, o);
            if (acts != null) acts.store(l);
        }
        return x;
    }

    /**
     * Vocabulary logits predicting tokens[from..T): (T - from) rows of vocab values.
     *
     * @param tokens the sequence
     * @param from   the first position whose token is predicted, in [1, tokens.length]
     * @return (T − from) × vocab logits, row-major; row i predicts tokens[from + i] (final
     *         soft-capping applied where the model has it)
     * @throws IllegalArgumentException as {@link #logProbs(int[], int)}
     */
    public float[] logits(int[] tokens, int from) {
        Layout layout = checkedSequence(tokens, from);
        float[] x = run(layout, ropeTable(layout), null, null, null);
        int n = layout.sources.length;
        float[] rows = new float[n * cfg.dim()];
        head.normalisedRows(x, layout.sources, 0, n, rows);
        return head.logits(rows, n);
    }

    private float[] embed(int[] tokens) {
        int T = tokens.length, d = cfg.dim();
        float[] x = new float[T * d];
        for (int t = 0; t < T; t++) weights.tokenEmbedding.decodeRow(tokens[t], x, t * d);
        float scale = cfg.features().embedScale();
        if (scale != 1f) {
            for (int i = 0; i < x.length; i++) x[i] *= scale;
        }
        return x;
    }

    ModelConfig cfg() {
        return cfg;
    }

    LayerWeights layerWeights(int l) {
        return weights.layers.get(l);
    }

    OutputHead head() {
        return head;
    }

    DecoderBlock block() {
        return block;
    }

    /** Switches the MLP's GELU to the smooth function (true) or back to llama.cpp's F16 table: gradient checks only. */
    void smoothGelu(boolean on) {
        block.smoothGelu(on);
    }

    Parallel par() {
        return par;
    }

    LoraWeights adapter() {
        return lora;
    }

    /** Stops the worker threads and unmaps the file; the transformer and its matrices are unusable after. */
    @Override
    public void close() {
        synchronized (this) {
            spare.forEach(KeptActivations::free);
            spare.clear();
        }
        par.close();
        file.close();
    }
}
