package io.jdpo.llama;

/** What a generation produced and why it stopped. */
public record GenerationResult(String text, int[] tokens, StopReason stopReason) {
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
