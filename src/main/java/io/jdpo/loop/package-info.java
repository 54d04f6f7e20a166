/**
 * Sampling in the training loop: llama.cpp samples completions from base + the current
 * adapter (hot-swapped into one running context), a reward ranks them, and the DPO trainer
 * learns from the ranking. Online DPO ({@link io.jdpo.loop.OnlineDpo}) and the paper's
 * reward–KL frontier ({@link io.jdpo.loop.Frontier}) live here, above both {@code train}
 * (the policy's steps) and {@code verify} (the rewards).
 *
 * <p><b>Lifetimes.</b> A {@link io.jdpo.loop.RolloutSampler} owns its llama.cpp model, context
 * and adapter until closed. <b>Threads.</b> One run at a time per object; the runs themselves
 * use the configured threads inside llama.cpp and the Java forward.
 */
package io.jdpo.loop;
