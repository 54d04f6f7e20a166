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
 * with an abort.
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

    public LlamaModel model() {
        return model;
    }

    public ContextParams params() {
        return params;
    }

    /** The KV capacity llama.cpp actually allocated (it may round nCtx up). */
    public int contextLength() {
        return call(LlamaH::llama_n_ctx);
    }

    public int vocabularySize() {
        return vocabSize;
    }

    /**
     * Runs the model over a batch. Logits of the tokens marked for it are then readable by
     * their batch index until the next decode.
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

    /** Copies the logits of the token at {@code batchIndex} of the last decode. */
    public float[] logits(int batchIndex) {
        float[] out = new float[vocabSize];
        logitsInto(batchIndex, out);
        return out;
    }

    /**
     * Decodes {@code tokens} as one fresh sequence (the KV cache emptied first) and returns
     * the logits that predict tokens[from..n): n − from rows of vocabulary values, one after
     * another. {@code batch} must hold n tokens; from is at least 1.
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

    /** Empties the KV cache of every sequence. */
    public void clearMemory() {
        onMemory(mem -> {
            LlamaH.llama_memory_clear(mem, true);
            return null;
        });
    }

    /** Removes positions [from, to) of a sequence (to &lt; 0: to the end). */
    public void removeSequence(int seq, int from, int to) {
        checkSeq(seq);
        if (!onMemory(mem -> LlamaH.llama_memory_seq_rm(mem, seq, from, to))) {
            throw new LlamaException("cannot remove positions [" + from + ", " + to + ") of sequence " + seq);
        }
    }

    public void removeSequence(int seq) {
        removeSequence(seq, -1, -1);
    }

    /** Makes {@code dst} share {@code src}'s cells (no copy in a unified cache): a shared prompt. */
    public void copySequence(int src, int dst) {
        checkSeq(src);
        checkSeq(dst);
        onMemory(mem -> {
            LlamaH.llama_memory_seq_cp(mem, src, dst, -1, -1);
            return null;
        });
    }

    /** Drops every sequence except this one. */
    public void keepSequence(int seq) {
        checkSeq(seq);
        onMemory(mem -> {
            LlamaH.llama_memory_seq_keep(mem, seq);
            return null;
        });
    }

    /** The highest position stored for a sequence, -1 when it is empty. */
    public int sequenceEnd(int seq) {
        checkSeq(seq);
        return onMemory(mem -> LlamaH.llama_memory_seq_pos_max(mem, seq));
    }

    private void checkSeq(int seq) {
        if (seq < 0 || seq >= params.nSeqMax()) {
            throw new IllegalArgumentException("sequence id " + seq + " outside [0, " + params.nSeqMax() + ")");
        }
    }

    public synchronized void setThreads(int threads, int threadsBatch) {
        call(ctx -> {
            LlamaH.llama_set_n_threads(ctx, threads, threadsBatch);
            return null;
        });
    }

    // ---- LoRA ----

    /**
     * Attaches an adapter (or changes its scale); takes effect from the next decode. When
     * llama.cpp refuses the set, the adapters attached before stay as they were.
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

    public synchronized void detach(LoraAdapter adapter) {
        if (adapters.containsKey(adapter)) {
            Map<LoraAdapter, Float> next = new LinkedHashMap<>(adapters);
            next.remove(adapter);
            apply(next);
        }
    }

    public synchronized void detachAll() {
        apply(Map.of());
    }

    /** The adapters attached now, with their scales. */
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
