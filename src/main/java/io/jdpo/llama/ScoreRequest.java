package io.jdpo.llama;

import java.util.List;

/**
 * A prompt and the completions to score after it. Two completions (chosen, rejected) share
 * the prompt's KV cells when the scorer shares prompts.
 */
public record ScoreRequest(int[] prompt, List<int[]> completions) {
    public ScoreRequest {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("a prompt needs at least one token (e.g. BOS) to predict the first completion token");
        }
        completions = List.copyOf(completions);
        if (completions.isEmpty()) {
            throw new IllegalArgumentException("no completion to score");
        }
    }

    public static ScoreRequest of(int[] prompt, int[] completion) {
        return new ScoreRequest(prompt, List.of(completion));
    }

    public static ScoreRequest pair(int[] prompt, int[] chosen, int[] rejected) {
        return new ScoreRequest(prompt, List.of(chosen, rejected));
    }
}
