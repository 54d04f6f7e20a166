package io.jdpo.data;

/**
 * One tokenized unpaired (KTO) example: a prompt, its completion, whether that completion is
 * desirable, and a mismatched completion (another example's, after this prompt) that serves
 * KTO's KL estimate. Completion and KL completion share the prompt, so both engines score them
 * as a preference pair does: one prompt, two branches. The arrays are shared, not copied.
 *
 * @param prompt       the prompt's token ids, at least one
 * @param completion   the completion's token ids, at least one
 * @param klCompletion another example's completion after this prompt, at least one token
 * @param desirable    KTO's label of {@code completion}
 */
public record UnpairedSample(int[] prompt, int[] completion, int[] klCompletion, boolean desirable) {
    /**
     * Checks that no part is empty.
     *
     * @throws IllegalArgumentException if the prompt or a completion has no tokens
     */
    public UnpairedSample {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt (it needs at least the BOS token)");
        if (completion.length == 0 || klCompletion.length == 0) throw new IllegalArgumentException("empty completion");
    }

    /** {@return prompt, completion (branch 0) and KL completion (branch 1) as the pair both engines score} */
    public PreferencePair pair() {
        return new PreferencePair(prompt, completion, klCompletion);
    }
}
