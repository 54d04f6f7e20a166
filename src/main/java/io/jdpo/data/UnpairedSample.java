package io.jdpo.data;

/**
 * One tokenized unpaired (KTO) example: a prompt, its completion, whether that completion is
 * desirable, and a mismatched completion (another example's, after this prompt) that serves
 * KTO's KL estimate. Completion and KL completion share the prompt, so both engines score them
 * as a preference pair does: one prompt, two branches.
 */
public record UnpairedSample(int[] prompt, int[] completion, int[] klCompletion, boolean desirable) {
    public UnpairedSample {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt (it needs at least the BOS token)");
        if (completion.length == 0 || klCompletion.length == 0) throw new IllegalArgumentException("empty completion");
    }

    /** Prompt, completion (branch 0) and KL completion (branch 1) as the pair both engines score. */
    public PreferencePair pair() {
        return new PreferencePair(prompt, completion, klCompletion);
    }
}
