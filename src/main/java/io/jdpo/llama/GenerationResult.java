package io.jdpo.llama;

/**
 * What a generation produced and why it stopped.
 *
 * @param text the generated text, cut before a stop string when one ended it
 * @param tokens the sampled tokens, the end-of-generation token excluded; when a stop string
 *        ended generation they include the token that completed it, so they may decode to more
 *        than {@code text}. The array is not copied: do not modify it
 * @param stopReason why generation ended
 */
public record GenerationResult(String text, int[] tokens, StopReason stopReason) {
    /** Why a generation ended. */
    public enum StopReason {
        /** The model emitted an end-of-generation token (EOS, EOT, ...). */
        END_OF_GENERATION,
        /** The text reached one of the stop strings (not included in {@link #text()}). */
        STOP_STRING,
        /** The token limit was reached. */
        MAX_TOKENS,
        /** The context has no room for another token. */
        CONTEXT_FULL
    }
}
