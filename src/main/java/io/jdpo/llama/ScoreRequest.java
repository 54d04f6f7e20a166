package io.jdpo.llama;

import java.util.List;

/**
 * A prompt and the completions to score after it. Two completions (chosen, rejected) share
 * the prompt's KV cells when the scorer shares prompts. The arrays are not copied: do not
 * modify them while a scorer reads them.
 *
 * @param prompt the prompt's tokens, at least one (the first completion token is predicted
 *        from the prompt's last)
 * @param completions one or more completions' tokens, each as it falls after the prompt (may be empty)
 */
public record ScoreRequest(int[] prompt, List<int[]> completions) {
    /**
     * Checks the request and copies the list.
     *
     * @throws IllegalArgumentException if the prompt or the list of completions is empty
     * @throws NullPointerException if a completion is null
     */
    public ScoreRequest {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("a prompt needs at least one token (e.g. BOS) to predict the first completion token");
        }
        completions = List.copyOf(completions);
        if (completions.isEmpty()) {
            throw new IllegalArgumentException("no completion to score");
        }
    }

    /**
     * {@return a request with one completion}
     *
     * @param prompt the prompt's tokens, at least one
     * @param completion the completion's tokens
     * @throws IllegalArgumentException if the prompt is empty
     */
    public static ScoreRequest of(int[] prompt, int[] completion) {
        return new ScoreRequest(prompt, List.of(completion));
    }

    /**
     * {@return a request with two completions, in that order}
     *
     * @param prompt the prompt's tokens, at least one
     * @param chosen the preferred completion's tokens (result index 0)
     * @param rejected the other completion's tokens (result index 1)
     * @throws IllegalArgumentException if the prompt is empty
     */
    public static ScoreRequest pair(int[] prompt, int[] chosen, int[] rejected) {
        return new ScoreRequest(prompt, List.of(chosen, rejected));
    }
}
