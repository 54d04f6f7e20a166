package io.jdpo.llama;

/**
 * Sizes of a llama.cpp context. {@code nCtx} is the KV-cache capacity in tokens, shared by
 * all {@code nSeqMax} sequences (a unified cache, so sequences can share a prompt's cells);
 * {@code nBatch} the most tokens one {@code decode} call takes; threads for single-token
 * and batch decoding.
 *
 * <p>Defaults favour exact log-probs over speed: {@code flashAttention} off and K/V stored in
 * F32 ({@code f32Cache}). With llama.cpp's defaults (F16 K/V, CPU flash attention, which
 * accumulates in F16) the log-probs of stories260K moved by up to 2.5e-3 nats depending on
 * which other sequences shared the batch; with F32 K/V and no flash attention batched and
 * one-at-a-time scoring agree within 4e-6 (ScoringTest). Flash attention with F32 K/V is no
 * way out: llama.cpp casts K and V to F16 for it (stories260K then moved by 7.6e-3 nats).
 * Generation may use the fast settings.
 *
 * @param nCtx KV-cache capacity in tokens, over all sequences; at most the model's trained
 *        context ({@link LlamaContext#create} checks)
 * @param nBatch the most tokens one {@link LlamaContext#decode} accepts; at most {@code nCtx}
 * @param nUbatch the physical micro-batch llama.cpp splits a decode into (at most {@code nBatch})
 * @param nSeqMax the number of sequence ids, 0 to {@code nSeqMax - 1}
 * @param threads CPU threads for single-token decodes
 * @param threadsBatch CPU threads for decodes of more than one token
 * @param flashAttention whether llama.cpp uses flash attention (faster; log-probs less exact)
 * @param f32Cache whether K and V are stored in F32 rather than llama.cpp's default F16
 */
public record ContextParams(int nCtx, int nBatch, int nUbatch, int nSeqMax, int threads, int threadsBatch,
                            boolean flashAttention, boolean f32Cache) {
    /**
     * Checks the sizes.
     *
     * @throws IllegalArgumentException if a size or thread count is not positive
     */
    public ContextParams {
        if (nCtx <= 0) throw new IllegalArgumentException("nCtx must be positive: " + nCtx);
        if (nBatch <= 0 || nUbatch <= 0) throw new IllegalArgumentException("nBatch and nUbatch must be positive");
        if (nSeqMax <= 0) throw new IllegalArgumentException("nSeqMax must be positive: " + nSeqMax);
        if (threads <= 0 || threadsBatch <= 0) throw new IllegalArgumentException("thread counts must be positive");
    }

    /**
     * A context of nCtx tokens, one sequence, batches of up to 512, all available cores, exact
     * attention (no flash attention, F32 K/V).
     *
     * @param nCtx KV-cache capacity in tokens
     * @return the parameters
     * @throws IllegalArgumentException if {@code nCtx} is not positive
     */
    public static ContextParams of(int nCtx) {
        int cores = Runtime.getRuntime().availableProcessors();
        int batch = Math.min(nCtx, 512);
        return new ContextParams(nCtx, batch, batch, 1, cores, cores, false, true);
    }

    /**
     * {@return the same parameters with {@code nBatch} and {@code nUbatch} both set to {@code batch}}
     *
     * @param batch the most tokens per decode
     * @throws IllegalArgumentException if the value is not positive
     */
    public ContextParams withBatch(int batch) {
        return new ContextParams(nCtx, batch, batch, nSeqMax, threads, threadsBatch, flashAttention, f32Cache);
    }

    /**
     * {@return the same parameters with {@code nSeqMax = n}}
     *
     * @param n the number of sequence ids
     * @throws IllegalArgumentException if the value is not positive
     */
    public ContextParams withSequences(int n) {
        return new ContextParams(nCtx, nBatch, nUbatch, n, threads, threadsBatch, flashAttention, f32Cache);
    }

    /**
     * {@return the same parameters with both thread counts set to {@code n}}
     *
     * @param n CPU threads
     * @throws IllegalArgumentException if the value is not positive
     */
    public ContextParams withThreads(int n) {
        return new ContextParams(nCtx, nBatch, nUbatch, nSeqMax, n, n, flashAttention, f32Cache);
    }

    /**
     * {@return the same parameters with flash attention on or off}
     *
     * @param on whether to use flash attention
     */
    public ContextParams withFlashAttention(boolean on) {
        return new ContextParams(nCtx, nBatch, nUbatch, nSeqMax, threads, threadsBatch, on, f32Cache);
    }

    /**
     * {@return the same parameters with K/V in F32 ({@code on}) or F16}
     *
     * @param on whether to store K/V in F32
     */
    public ContextParams withF32Cache(boolean on) {
        return new ContextParams(nCtx, nBatch, nUbatch, nSeqMax, threads, threadsBatch, flashAttention, on);
    }
}
