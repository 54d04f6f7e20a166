package io.jdpo.data;

/**
 * One tokenized preference example: a prompt and two completions of it, the chosen one
 * preferred. The tokens are exactly what both engines see (template applied, BOS included).
 * The arrays are shared, not copied: they must not be modified.
 *
 * @param prompt   the prompt's token ids, at least one
 * @param chosen   the preferred completion's token ids (ending with EOS or the template's end of turn unless truncated), at least one
 * @param rejected the other completion's token ids, at least one
 */
public record PreferencePair(int[] prompt, int[] chosen, int[] rejected) {
    /**
     * Checks that no part is empty.
     *
     * @throws IllegalArgumentException if the prompt or a completion has no tokens
     */
    public PreferencePair {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt (it needs at least the BOS token)");
        if (chosen.length == 0 || rejected.length == 0) throw new IllegalArgumentException("empty completion");
    }

    /** {@return prompt plus the longer completion, in tokens: the longest sequence this pair puts through the model} */
    public int longestSequence() {
        return prompt.length + Math.max(chosen.length, rejected.length);
    }

    /** {@return prompt once plus both completions, in tokens: the rows of the pair packed as one sequence} */
    public int packedLength() {
        return prompt.length + chosen.length + rejected.length;
    }

    /** prompt ++ completion. */
    static int[] join(int[] prompt, int[] completion) {
        int[] s = new int[prompt.length + completion.length];
        System.arraycopy(prompt, 0, s, 0, prompt.length);
        System.arraycopy(completion, 0, s, prompt.length, completion.length);
        return s;
    }
}
