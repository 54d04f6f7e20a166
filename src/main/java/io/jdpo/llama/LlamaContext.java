package io.jdpo.llama;

import io.jdpo.bindings.LlamaH;
import io.jdpo.bindings.llama_context_params;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An inference context on a model: the KV cache, decode of token batches, logits, KV
 * sequence operations and attached LoRA adapters. llama.cpp contexts are not thread-safe, so
 * calls on one context are serialised (a second thread waits); several contexts on one model
 * run in parallel. Inputs are checked in Java before any call that llama.cpp would answer
 * with an abort. Owns the KV cache's native memory until {@link #close()}; closing its model
 * closes it first. After close every method that reaches llama.cpp throws
 * {@link IllegalStateException}; the Java-side getters ({@link #model()}, {@link #params()},
 * {@link #vocabularySize()}, {@link #adapters()}) still answer.
 */
public final class LlamaContext extends NativeHandle {
    private final LlamaModel model;
    private final ContextParams params;
    private final int vocabSize;
    private Map<LoraAdapter, Float> adapters = Map.of();

    private LlamaContext(LlamaModel model, ContextParams params, MemorySegment pointer) {
        super("context", pointer);
        this.model = model;
        this.params = params;
        this.vocabSize = model.tokenizer().vocabularySize();
    }

    /**
     * Creates a context on a model. The KV cache is unified (every sequence shares the
     * {@code nCtx} cells); K/V are F32 when {@link ContextParams#f32Cache()} is set.
     *
     * @param model an open model, which must outlive the context (closing it closes the context)
     * @param params the sizes; {@code nCtx} at most the model's trained context
     * @return the context; the caller closes it
     * @throws LlamaException if {@code nCtx} exceeds the trained context or llama.cpp cannot
     *         create the context (out of memory, vocabulary-only model)
     * @throws IllegalArgumentException if {@code nBatch} exceeds {@code nCtx}
     * @throws IllegalStateException if the model is closed
     */
    public static LlamaContext create(LlamaModel model, ContextParams params) {
        int trained = model.trainingContextLength();
        if (params.nCtx() > trained) {
            throw new LlamaException("context of " + params.nCtx() + " tokens is longer than model "
                    + model.path().getFileName() + " allows (trained context " + trained + ")");
        }
        if (params.nBatch() > params.nCtx()) {
            throw new IllegalArgumentException("nBatch " + params.nBatch() + " exceeds nCtx " + params.nCtx());
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = LlamaH.llama_context_default_params(arena);
            llama_context_params.n_ctx(p, params.nCtx());
            llama_context_params.n_batch(p, params.nBatch());
            llama_context_params.n_ubatch(p, params.nUbatch());
            llama_context_params.n_seq_max(p, params.nSeqMax());
            llama_context_params.n_threads(p, params.threads());
            llama_context_params.n_threads_batch(p, params.threadsBatch());
            llama_context_params.kv_unified(p, true);
            llama_context_params.no_perf(p, true);
            llama_context_params.flash_attn_type(p, params.flashAttention()
                    ? LlamaH.LLAMA_FLASH_ATTN_TYPE_ENABLED() : LlamaH.LLAMA_FLASH_ATTN_TYPE_DISABLED());
            if (params.f32Cache()) {
                llama_context_params.type_k(p, LlamaH.GGML_TYPE_F32());
                llama_context_params.type_v(p, LlamaH.GGML_TYPE_F32());
            }
            return model.call(m -> {
                MemorySegment ctx = LlamaH.llama_init_from_model(m, p);
                if (ctx.equals(MemorySegment.NULL)) {
                    throw new LlamaException("llama.cpp could not create a context of " + params.nCtx()
                            + " tokens for " + model.path());
                }
                LlamaContext c = new LlamaContext(model, params, ctx);
                model.register(c);
                return c;
            });
        }
    }

    /** {@return the model this context runs} */
    public LlamaModel model() {
        return model;
    }

    /** {@return the parameters the context was created with} */
    public ContextParams params() {
        return params;
    }

    /**
     * {@return the KV capacity in tokens llama.cpp actually allocated (it may round nCtx up)}
     *
     * @throws IllegalStateException if the context is closed
     */
    public int contextLength() {
        return call(LlamaH::llama_n_ctx);
    }

    /** {@return the number of tokens in the vocabulary: the length of one logits row} */
    public int vocabularySize() {
        return vocabSize;
    }

    /**
     * Runs the model over a batch. Logits of the tokens marked for it are then readable by
     * their batch index until the next decode. Each sequence's positions must continue from
     * {@link #sequenceEnd(int)} + 1 (or start at 0 on an empty sequence).
     *
     * @param batch 1 to {@code nBatch} tokens; it is only read
     * @throws IllegalArgumentException if the batch is empty or larger than {@code nBatch}, or a
     *         token id or sequence id is out of range (the message names the batch index)
     * @throws LlamaException if a position is outside the context, the KV cache is full, or
     *         llama.cpp rejects the batch; the cache may then hold part of the batch
     * @throws IllegalStateException if the context or the batch is closed
     */
    public synchronized void decode(Batch batch) {
        int rc;
        try (Hold ctx = hold(); Hold b = batch.hold()) {
            check(batch);
            rc = LlamaH.llama_decode(ctx.ptr(), b.ptr());
        }
        if (rc != 0) {
            throw new LlamaException(switch (rc) {
                case 1 -> "KV cache full: no room for " + batch.size() + " more tokens in a context of "
                        + params.nCtx() + " (decoding past n_ctx)";
                case 2 -> "decode aborted";
                case -1 -> "llama.cpp rejected the batch as invalid (positions not continuing their sequence?)";
                default -> "llama_decode failed with code " + rc;
            });
        }
    }

    /** What llama.cpp would abort on, checked in Java (the batch is held open by the caller). */
    private void check(Batch batch) {
        if (batch.size() == 0) {
            throw new IllegalArgumentException("empty batch");
        }
        if (batch.size() > params.nBatch()) {
            throw new IllegalArgumentException("batch of " + batch.size() + " tokens exceeds nBatch " + params.nBatch());
        }
        for (int i = 0; i < batch.size(); i++) {
            int t = batch.token(i);
            if (t < 0 || t >= vocabSize) {
                throw new IllegalArgumentException("token id " + t + " at batch index " + i
                        + " outside the vocabulary [0, " + vocabSize + ")");
            }
            int p = batch.position(i);
            if (p < 0 || p >= params.nCtx()) {
                throw new LlamaException("position " + p + " at batch index " + i
                        + " is past the context of " + params.nCtx() + " tokens");
            }
            for (int s = 0; s < batch.sequenceCount(i); s++) checkSeq(batch.sequence(i, s));
        }
    }

    /**
     * Copies the logits of the token at {@code batchIndex} of the last decode.
     *
     * @param batchIndex the index {@link Batch#add} returned for a token added with
     *        {@code wantLogits}
     * @return a new array of {@link #vocabularySize()} raw (unnormalised) logits
     * @throws LlamaException if that token's logits were not requested
     * @throws IllegalStateException if the context is closed
     */
    public float[] logits(int batchIndex) {
        float[] out = new float[vocabSize];
        logitsInto(batchIndex, out);
        return out;
    }

    /**
     * Decodes {@code tokens} as one fresh sequence (the KV cache emptied first) and returns
     * the logits that predict tokens[from..n): n − from rows of vocabulary values, one after
     * another. {@code batch} must hold n tokens; from is at least 1.
     *
     * @param batch a scratch batch of capacity at least {@code tokens.length}; it is cleared
     *        and refilled
     * @param tokens the whole sequence, at most {@code nBatch} tokens
     * @param from the first position whose token is predicted, in [1, tokens.length]
     * @return {@code (tokens.length - from) * vocabularySize()} logits, row t - from predicting
     *         {@code tokens[t]}
     * @throws IllegalArgumentException if {@code from} is out of range or the tokens are
     *         invalid for {@link #decode}
     * @throws IllegalStateException if the batch is too small, or the context or batch is closed
     * @throws LlamaException as {@link #decode}
     */
    public synchronized float[] sequenceLogits(Batch batch, int[] tokens, int from) {
        int n = tokens.length;
        if (from < 1 || from > n) throw new IllegalArgumentException("from must lie in [1, " + n + "], got " + from);
        clearMemory();
        batch.clear();
        for (int t = 0; t < n; t++) batch.add(tokens[t], t, t >= from - 1 && t < n - 1, 0);
        decode(batch);
        float[] out = new float[(n - from) * vocabSize], row = new float[vocabSize];
        for (int t = from - 1; t < n - 1; t++) {
            logitsInto(t, row);
            System.arraycopy(row, 0, out, (t - from + 1) * vocabSize, vocabSize);
        }
        return out;
    }

    /**
     * As {@link #logits(int)}, into an array the caller reuses.
     *
     * @param batchIndex the batch index of a token added with {@code wantLogits}
     * @param dst receives the logits in [0, vocabularySize())
     * @throws IndexOutOfBoundsException if {@code dst} is shorter than {@link #vocabularySize()}
     * @throws LlamaException if that token's logits were not requested
     * @throws IllegalStateException if the context is closed
     */
    public synchronized void logitsInto(int batchIndex, float[] dst) {
        try (Hold ctx = hold()) {
            MemorySegment row = LlamaH.llama_get_logits_ith(ctx.ptr(), batchIndex);
            if (row.equals(MemorySegment.NULL)) {
                throw new LlamaException("no logits for batch index " + batchIndex + " (not requested in the last decode)");
            }
            MemorySegment.copy(row.reinterpret((long) vocabSize * Float.BYTES), ValueLayout.JAVA_FLOAT, 0, dst, 0, vocabSize);
        }
    }

    /** Runs a sampler over this context's logits, serialised with the context's other calls. */
    synchronized int sample(MemorySegment sampler, int batchIndex) {
        return call(ctx -> LlamaH.llama_sampler_sample(sampler, ctx, batchIndex));
    }

    /** A call on the context's KV memory. */
    private synchronized <T> T onMemory(java.util.function.Function<MemorySegment, T> body) {
        return call(ctx -> body.apply(LlamaH.llama_get_memory(ctx)));
    }

    // ---- KV cache ----

    /**
     * Empties the KV cache of every sequence.
     *
     * @throws IllegalStateException if the context is closed
     */
    public void clearMemory() {
        onMemory(mem -> {
            LlamaH.llama_memory_clear(mem, true);
            return null;
        });
    }

    /**
     * Removes positions [from, to) of a sequence from the KV cache.
     *
     * @param seq the sequence id, in [0, nSeqMax)
     * @param from the first position removed (&lt; 0: from the start)
     * @param to the position after the last removed (&lt; 0: to the end)
     * @throws IllegalArgumentException if {@code seq} is out of range
     * @throws LlamaException if llama.cpp cannot remove a partial range (e.g. from a recurrent model's state)
     * @throws IllegalStateException if the context is closed
     */
    public void removeSequence(int seq, int from, int to) {
        checkSeq(seq);
        if (!onMemory(mem -> LlamaH.llama_memory_seq_rm(mem, seq, from, to))) {
            throw new LlamaException("cannot remove positions [" + from + ", " + to + ") of sequence " + seq);
        }
    }

    /**
     * Removes every position of a sequence from the KV cache.
     *
     * @param seq the sequence id, in [0, nSeqMax)
     * @throws IllegalArgumentException if {@code seq} is out of range
     * @throws IllegalStateException if the context is closed
     */
    public void removeSequence(int seq) {
        removeSequence(seq, -1, -1);
    }

    /**
     * Makes {@code dst} share all of {@code src}'s cells (no copy in a unified cache): a prompt
     * decoded once, continued by several sequences.
     *
     * @param src the sequence whose cells are shared
     * @param dst the sequence that gains them; both ids in [0, nSeqMax)
     * @throws IllegalArgumentException if an id is out of range
     * @throws IllegalStateException if the context is closed
     */
    public void copySequence(int src, int dst) {
        checkSeq(src);
        checkSeq(dst);
        onMemory(mem -> {
            LlamaH.llama_memory_seq_cp(mem, src, dst, -1, -1);
            return null;
        });
    }

    /**
     * Drops every sequence except this one from the KV cache.
     *
     * @param seq the sequence kept, in [0, nSeqMax)
     * @throws IllegalArgumentException if {@code seq} is out of range
     * @throws IllegalStateException if the context is closed
     */
    public void keepSequence(int seq) {
        checkSeq(seq);
        onMemory(mem -> {
            LlamaH.llama_memory_seq_keep(mem, seq);
            return null;
        });
    }

    /**
     * {@return the highest position stored for the sequence, -1 when it is empty}
     *
     * @param seq the sequence id, in [0, nSeqMax)
     * @throws IllegalArgumentException if {@code seq} is out of range
     * @throws IllegalStateException if the context is closed
     */
    public int sequenceEnd(int seq) {
        checkSeq(seq);
        return onMemory(mem -> LlamaH.llama_memory_seq_pos_max(mem, seq));
    }

    private void checkSeq(int seq) {
        if (seq < 0 || seq >= params.nSeqMax()) {
            throw new IllegalArgumentException("sequence id " + seq + " outside [0, " + params.nSeqMax() + ")");
        }
    }

    /**
     * Changes the CPU thread counts for later decodes; {@link #params()} keeps the original ones.
     *
     * @param threads threads for single-token decodes
     * @param threadsBatch threads for decodes of several tokens
     * @throws IllegalStateException if the context is closed
     */
    public synchronized void setThreads(int threads, int threadsBatch) {
        call(ctx -> {
            LlamaH.llama_set_n_threads(ctx, threads, threadsBatch);
            return null;
        });
    }

    // ---- LoRA ----

    /**
     * Attaches an adapter (or changes its scale); takes effect from the next decode. When
     * llama.cpp refuses the set, the adapters attached before stay as they were. The adapter
     * stays attached until detached or closed (closing it detaches it everywhere).
     *
     * @param adapter an open adapter loaded for this context's model
     * @param scale how much of the adapter's delta is added (1 = as trained, 0 = none)
     * @throws IllegalArgumentException if the adapter belongs to another model
     * @throws LlamaException if llama.cpp refuses the set
     * @throws IllegalStateException if the context or the adapter is closed
     */
    public synchronized void attach(LoraAdapter adapter, float scale) {
        if (adapter.model() != model) {
            throw new IllegalArgumentException("adapter " + adapter.path() + " was loaded for another model");
        }
        adapter.checkOpen();
        Map<LoraAdapter, Float> next = new LinkedHashMap<>(adapters);
        next.put(adapter, scale);
        apply(next);
    }

    /**
     * Detaches an adapter from later decodes; does nothing if it is not attached.
     *
     * @param adapter the adapter
     * @throws LlamaException if llama.cpp refuses the remaining set
     * @throws IllegalStateException if the context, or another attached adapter, is closed
     */
    public synchronized void detach(LoraAdapter adapter) {
        if (adapters.containsKey(adapter)) {
            Map<LoraAdapter, Float> next = new LinkedHashMap<>(adapters);
            next.remove(adapter);
            apply(next);
        }
    }

    /**
     * Detaches every adapter: later decodes use the base model.
     *
     * @throws IllegalStateException if the context is closed
     */
    public synchronized void detachAll() {
        apply(Map.of());
    }

    /** {@return a copy of the adapters attached now, with their scales, in attach order} */
    public synchronized Map<LoraAdapter, Float> adapters() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(adapters));
    }

    /** Hands llama.cpp the whole set; only once it accepts does {@link #adapters} change. */
    private void apply(Map<LoraAdapter, Float> next) {
        List<Hold> held = new ArrayList<>(next.size());
        try (Hold ctx = hold(); Arena arena = Arena.ofConfined()) {
            int n = next.size();
            MemorySegment ptrs = arena.allocate(ValueLayout.ADDRESS, Math.max(1, n));
            MemorySegment scales = arena.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, n));
            int i = 0;
            for (var e : next.entrySet()) {
                Hold a = e.getKey().hold();
                held.add(a);
                ptrs.setAtIndex(ValueLayout.ADDRESS, i, a.ptr());
                scales.setAtIndex(ValueLayout.JAVA_FLOAT, i, e.getValue());
                i++;
            }
            if (adapterSetter.set(ctx.ptr(), ptrs, n, scales) != 0) {
                throw new LlamaException("llama.cpp refused the LoRA adapters " + next.keySet()
                        + "; still attached: " + adapters.keySet());
            }
            adapters = next;
        } finally {
            for (Hold a : held) a.close();
        }
    }

    /** Called when an adapter is closed while attached here. */
    void forget(LoraAdapter adapter) {
        if (!isClosed()) {
            detach(adapter);
        }
    }

    /** llama_set_adapters_lora, replaceable so a test can make llama.cpp refuse. */
    interface AdapterSetter {
        int set(MemorySegment ctx, MemorySegment adapters, int n, MemorySegment scales);
    }

    private AdapterSetter adapterSetter = LlamaH::llama_set_adapters_lora;

    /** For tests: stands in for llama_set_adapters_lora on this context (null: the real one again). */
    synchronized void adapterSetterForTest(AdapterSetter setter) {
        this.adapterSetter = setter != null ? setter : LlamaH::llama_set_adapters_lora;
    }

    @Override
    void free(MemorySegment pointer) {
        model.unregister(this);
        LlamaH.llama_free(pointer);
    }
}
