package io.jdpo.verify;

/** A score for generated text, for generation-based evaluation and the demo: regex, external command, or a judge model. */
public interface Reward {
    /**
     * Scores one text.
     *
     * @param text the generated text
     * @return its reward; higher is better, the scale is the implementation's
     */
    double score(String text);
}
