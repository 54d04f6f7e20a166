package io.jdpo.llama;

import java.util.List;

/**
 * Limits and stops for one generation: at most {@code maxTokens} new tokens, stop at an
 * end-of-generation token or when the text contains one of {@code stopStrings}.
 * {@code parseSpecial} lets the prompt text contain control tokens (as chat templates do).
 *
 * @param maxTokens the most new tokens, at least 0 (0 decodes the prompt and returns nothing)
 * @param sampler how each token is chosen
 * @param stopStrings texts that end generation when they appear in the output (copied; none empty)
 * @param parseSpecial whether control-token text in a prompt string becomes control tokens
 */
public record GenerationOptions(int maxTokens, SamplerConfig sampler, List<String> stopStrings, boolean parseSpecial) {
    /**
     * Checks the limits and copies the stop strings.
     *
     * @throws IllegalArgumentException if {@code maxTokens} is negative or a stop string is empty
     * @throws NullPointerException if {@code stopStrings} or one of them is null
     */
    public GenerationOptions {
        if (maxTokens < 0) throw new IllegalArgumentException("maxTokens must be >= 0");
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) throw new IllegalArgumentException("empty stop string");
        }
    }

    /**
     * {@return greedy decoding, no stop strings, control tokens parsed in the prompt}
     *
     * @param maxTokens the most new tokens
     */
    public static GenerationOptions greedy(int maxTokens) {
        return of(maxTokens, SamplerConfig.greedy());
    }

    /**
     * {@return up to {@code maxTokens} tokens chosen by {@code sampler}, no stop strings, control tokens parsed in the prompt}
     *
     * @param maxTokens the most new tokens
     * @param sampler how each token is chosen
     */
    public static GenerationOptions of(int maxTokens, SamplerConfig sampler) {
        return new GenerationOptions(maxTokens, sampler, List.of(), true);
    }

    /**
     * Sampling at a temperature with a seed (llama.cpp's usual filters, see {@link SamplerConfig#sampling}).
     *
     * @param maxTokens the most new tokens
     * @param temperature logit divisor ({@code <= 0}: greedy)
     * @param seed the draw's seed
     * @return the options, without stop strings, control tokens parsed in the prompt
     */
    public static GenerationOptions sampling(int maxTokens, float temperature, long seed) {
        return of(maxTokens, SamplerConfig.sampling(temperature, seed));
    }

    /**
     * {@return these options with the sampler replaced}
     *
     * @param s how each token is chosen
     */
    public GenerationOptions withSampler(SamplerConfig s) {
        return new GenerationOptions(maxTokens, s, stopStrings, parseSpecial);
    }

    /**
     * {@return these options with the stop strings replaced}
     *
     * @param stops texts that end generation, none empty
     * @throws IllegalArgumentException if a stop string is empty
     */
    public GenerationOptions withStopStrings(List<String> stops) {
        return new GenerationOptions(maxTokens, sampler, stops, parseSpecial);
    }
}
