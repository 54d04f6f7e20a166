package io.jdpo.llama;

/**
 * Sizes of a llama.cpp context. {@code nCtx} is the KV-cache capacity in tokens, shared by
 * all {@code nSeqMax} sequences (a unified cache, so sequences can share a prompt's cells);
 * {@code nBatch} the most tokens one {@code decode} call takes; threads for single-token
 * and batch decoding.
 */
public record ContextParams(int nCtx, int nBatch, int nUbatch, int nSeqMax, int threads, int threadsBatch) {
    public ContextParams {
        if (nCtx <= 0) throw new IllegalArgumentException("nCtx must be positive: " + nCtx);
        if (nBatch <= 0 || nUbatch <= 0) throw new IllegalArgumentException("nBatch and nUbatch must be positive");
        if (nSeqMax <= 0) throw new IllegalArgumentException("nSeqMax must be positive: " + nSeqMax);
        if (threads <= 0 || threadsBatch <= 0) throw new IllegalArgumentException("thread counts must be positive");
    }

    /** A context of nCtx tokens, one sequence, batches of up to 512, all available cores. */
    public static ContextParams of(int nCtx) {
        int cores = Runtime.getRuntime().availableProcessors();
        int batch = Math.min(nCtx, 512);
        return new ContextParams(nCtx, batch, batch, 1, cores, cores);
    }

    public ContextParams withBatch(int batch) {
        return new ContextParams(nCtx, batch, batch, nSeqMax, threads, threadsBatch);
    }

    public ContextParams withSequences(int n) {
        return new ContextParams(nCtx, nBatch, nUbatch, n, threads, threadsBatch);
    }

    public ContextParams withThreads(int n) {
        return new ContextParams(nCtx, nBatch, nUbatch, nSeqMax, n, n);
    }
}
