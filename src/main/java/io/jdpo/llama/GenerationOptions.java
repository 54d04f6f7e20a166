package io.jdpo.llama;

import java.util.List;

/**
 * Limits and stops for one generation: at most {@code maxTokens} new tokens, stop at an
 * end-of-generation token or when the text contains one of {@code stopStrings}.
 * {@code parseSpecial} lets the prompt text contain control tokens (as chat templates do).
 */
public record GenerationOptions(int maxTokens, SamplerConfig sampler, List<String> stopStrings, boolean parseSpecial) {
    public GenerationOptions {
        if (maxTokens < 0) throw new IllegalArgumentException("maxTokens must be >= 0");
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) throw new IllegalArgumentException("empty stop string");
        }
    }

    public static GenerationOptions greedy(int maxTokens) {
        return of(maxTokens, SamplerConfig.greedy());
    }

    /** Up to {@code maxTokens} tokens chosen by {@code sampler}, no stop strings, control tokens parsed in the prompt. */
    public static GenerationOptions of(int maxTokens, SamplerConfig sampler) {
        return new GenerationOptions(maxTokens, sampler, List.of(), true);
    }

    /** Sampling at a temperature with a seed (llama.cpp's usual filters, see {@link SamplerConfig#sampling}). */
    public static GenerationOptions sampling(int maxTokens, float temperature, long seed) {
        return of(maxTokens, SamplerConfig.sampling(temperature, seed));
    }

    public GenerationOptions withSampler(SamplerConfig s) {
        return new GenerationOptions(maxTokens, s, stopStrings, parseSpecial);
    }

    public GenerationOptions withStopStrings(List<String> stops) {
        return new GenerationOptions(maxTokens, sampler, stops, parseSpecial);
    }
}
