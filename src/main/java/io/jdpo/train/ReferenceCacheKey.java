package io.jdpo.train;

import io.jdpo.llama.ContextParams;

/**
 * Everything a cached set of reference log-probs was computed from. Besides the model and
 * the tokens, llama.cpp's answer depends on its version, on the backend that ran it (the CPU
 * kernels chosen for this processor's features, or a GPU), and on the context settings that
 * change the arithmetic, and an adapter attached while scoring (its SHA-256): K/V type, flash attention, and how sequences share a batch and the
 * cache (measured: up to 2.5e-3 nats apart with F16 K/V). A change to any of them must miss
 * the cache, not return numbers another setup produced.
 */
record ReferenceCacheKey(String modelSha256, String pairsSha256, String llamaCppCommit, String backend,
                         ContextParams context, boolean sharedPrompt, String adapterSha256) {

    /** The settings that change log-probs; threads do not (each row is summed by one thread). */
    String contextSettings() {
        return "n_ctx=" + context.nCtx() + " n_batch=" + context.nBatch() + " n_ubatch=" + context.nUbatch()
                + " n_seq=" + context.nSeqMax() + " flash_attn=" + context.flashAttention()
                + " kv=" + (context.f32Cache() ? "f32" : "f16") + " shared_prompt=" + sharedPrompt;
    }

    String fileName() {
        String all = String.join("\n", modelSha256, pairsSha256, "llama.cpp " + llamaCppCommit, backend, contextSettings());
        // Base + adapter is another reference; the base alone keeps the key it always had.
        if (adapterSha256 != null) all += "\nadapter " + adapterSha256;
        return "reference-" + Fingerprint.text(all).substring(0, 32) + ".bin";
    }
}
