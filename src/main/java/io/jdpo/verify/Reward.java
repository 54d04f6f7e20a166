package io.jdpo.verify;

/** A score for generated text, for generation-based evaluation and the demo: regex, external command, or a judge model. */
public interface Reward {
    double score(String text);
}
