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
 * one-at-a-time scoring agree within 4e-6 (ScoringTest). Generation may use the fast settings.
 */
public record ContextParams(int nCtx, int nBatch, int nUbatch, int nSeqMax, int threads, int threadsBatch,
                            boolean flashAttention, boolean f32Cache) {
    public ContextParams {
        if (nCtx <= 0) throw new IllegalArgumentException("nCtx must be positive: " + nCtx);
        if (nBatch <= 0 || nUbatch <= 0) throw new IllegalArgumentException("nBatch and nUbatch must be positive");
        if (nSeqMax <= 0) throw new IllegalArgumentException("nSeqMax must be positive: " + nSeqMax);
        if (threads <= 0 || threadsBatch <= 0) throw new IllegalArgumentException("thread counts must be positive");
    }

    /** A context of nCtx tokens, one sequence, batches of up to 512, all available cores, exact attention. */
    public static ContextParams of(int nCtx) {
        int cores = Runtime.getRuntime().availableProcessors();
        int batch = Math.min(nCtx, 512);
        return new ContextParams(nCtx, batch, batch, 1, cores, cores, false, true);
    }

    public ContextParams withBatch(int batch) {
        return new ContextParams(nCtx, batch, batch, nSeqMax, threads, threadsBatch, flashAttention, f32Cache);
    }

    public ContextParams withSequences(int n) {
        return new ContextParams(nCtx, nBatch, nUbatch, n, threads, threadsBatch, flashAttention, f32Cache);
    }

    public ContextParams withThreads(int n) {
        return new ContextParams(nCtx, nBatch, nUbatch, nSeqMax, n, n, flashAttention, f32Cache);
    }

    public ContextParams withFlashAttention(boolean on) {
        return new ContextParams(nCtx, nBatch, nUbatch, nSeqMax, threads, threadsBatch, on, f32Cache);
    }

    public ContextParams withF32Cache(boolean on) {
        return new ContextParams(nCtx, nBatch, nUbatch, nSeqMax, threads, threadsBatch, flashAttention, on);
    }
}
