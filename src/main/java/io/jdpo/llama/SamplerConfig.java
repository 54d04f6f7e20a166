package io.jdpo.llama;

/**
 * How the next token is chosen. {@code temperature <= 0} is greedy (argmax). Otherwise the
 * chain is: penalties, grammar, top-k, top-p, min-p, temperature, then a draw seeded by
 * {@code seed}. Penalties are off at their neutral values (repeat 1, frequency 0, presence 0).
 */
public record SamplerConfig(float temperature, int topK, float topP, float minP,
                            float repeatPenalty, float frequencyPenalty, float presencePenalty, int penaltyLastN,
                            long seed, String grammar, String grammarRoot) {

    public static SamplerConfig greedy() {
        return new SamplerConfig(0f, 0, 1f, 0f, 1f, 0f, 0f, 64, 0, null, "root");
    }

    /** Sampling at a temperature with llama.cpp's usual filters (top-k 40, top-p 0.95, min-p 0.05). */
    public static SamplerConfig sampling(float temperature, long seed) {
        return new SamplerConfig(temperature, 40, 0.95f, 0.05f, 1f, 0f, 0f, 64, seed, null, "root");
    }

    public boolean isGreedy() {
        return temperature <= 0;
    }

    public boolean hasPenalties() {
        return repeatPenalty != 1f || frequencyPenalty != 0f || presencePenalty != 0f;
    }

    public SamplerConfig withTopK(int k) {
        return new SamplerConfig(temperature, k, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyLastN, seed, grammar, grammarRoot);
    }

    public SamplerConfig withTopP(float p) {
        return new SamplerConfig(temperature, topK, p, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyLastN, seed, grammar, grammarRoot);
    }

    public SamplerConfig withMinP(float p) {
        return new SamplerConfig(temperature, topK, topP, p, repeatPenalty, frequencyPenalty, presencePenalty, penaltyLastN, seed, grammar, grammarRoot);
    }

    public SamplerConfig withPenalties(float repeat, float frequency, float presence, int lastN) {
        return new SamplerConfig(temperature, topK, topP, minP, repeat, frequency, presence, lastN, seed, grammar, grammarRoot);
    }

    public SamplerConfig withSeed(long s) {
        return new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyLastN, s, grammar, grammarRoot);
    }

    /** Constrains output to a GBNF grammar whose start rule is {@code root}. */
    public SamplerConfig withGrammar(String gbnf, String root) {
        return new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyLastN, seed, gbnf, root);
    }
}
