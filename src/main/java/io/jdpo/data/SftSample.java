package io.jdpo.data;

/**
 * One tokenized supervised fine-tuning example: a prompt and the completion the model learns
 * to produce after it (the loss reads only the completion's tokens). The tokens are what both
 * engines see: chat template applied, BOS included, the turn's end (or EOS) closing the completion.
 *
 * @param prompt     the prompt's tokens, at least one (the BOS)
 * @param completion the completion's tokens, at least one
 */
public record SftSample(int[] prompt, int[] completion) {
    /**
     * Checks both parts hold tokens.
     *
     * @throws IllegalArgumentException when the prompt or the completion is empty
     */
    public SftSample {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt (it needs at least the BOS token)");
        if (completion.length == 0) throw new IllegalArgumentException("empty completion");
    }

    /**
     * Prompt and completion as one sequence (the completion's log-probs start at {@code prompt().length}).
     *
     * @return prompt ++ completion
     */
    public int[] sequence() {
        return PreferencePair.join(prompt, completion);
    }
}
