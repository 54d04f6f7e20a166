package io.jdpo.data;

/**
 * One tokenized preference example: a prompt and two completions of it, the chosen one
 * preferred. The tokens are exactly what both engines see (template applied, BOS included).
 */
public record PreferencePair(int[] prompt, int[] chosen, int[] rejected) {
    public PreferencePair {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt (it needs at least the BOS token)");
        if (chosen.length == 0 || rejected.length == 0) throw new IllegalArgumentException("empty completion");
    }

    /** Prompt plus the longer completion: the longest sequence this pair puts through the model. */
    public int longestSequence() {
        return prompt.length + Math.max(chosen.length, rejected.length);
    }

    /** prompt ++ completion. */
    static int[] join(int[] prompt, int[] completion) {
        int[] s = new int[prompt.length + completion.length];
        System.arraycopy(prompt, 0, s, 0, prompt.length);
        System.arraycopy(completion, 0, s, prompt.length, completion.length);
        return s;
    }
}
