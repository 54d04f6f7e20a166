package io.jdpo.llama;

/**
 * How the next token is chosen. {@code temperature <= 0} is greedy (argmax). Otherwise the
 * chain is: penalties, grammar, top-k, top-p, min-p, temperature, then a draw seeded by
 * {@code seed}. Penalties are off at their neutral values (repeat 1, frequency 0, presence 0).
 * Nothing is checked until a {@link Sampler} is built from it.
 *
 * @param temperature logit divisor; {@code <= 0} picks the most likely token (greedy), and
 *        then top-k/p, min-p and the seed are unused
 * @param topK keep the k most likely tokens; {@code <= 0} keeps all
 * @param topP keep the smallest set whose probabilities sum to at least p; 1 keeps all
 * @param minP drop tokens less likely than minP times the most likely one; 0 keeps all
 * @param repeatPenalty divides the logits of recently seen tokens (1: off)
 * @param frequencyPenalty subtracted per earlier occurrence of a token (0: off)
 * @param presencePenalty subtracted once for a token seen at all (0: off)
 * @param penaltyLastN how many recent tokens the penalties look back over (0 disables them)
 * @param seed the draw's seed; only its low 32 bits are used, and 0xFFFFFFFF (e.g. -1) asks
 *        llama.cpp for a random one
 * @param grammar a GBNF grammar the output must follow, or null for none
 * @param grammarRoot the grammar's start rule (usually "root")
 */
public record SamplerConfig(float temperature, int topK, float topP, float minP,
                            float repeatPenalty, float frequencyPenalty, float presencePenalty, int penaltyLastN,
                            long seed, String grammar, String grammarRoot) {

    /** {@return argmax decoding: no penalties, no grammar} */
    public static SamplerConfig greedy() {
        return new SamplerConfig(0f, 0, 1f, 0f, 1f, 0f, 0f, 64, 0, null, "root");
    }

    /**
     * Sampling at a temperature with llama.cpp's usual filters (top-k 40, top-p 0.95, min-p 0.05).
     *
     * @param temperature logit divisor; {@code <= 0} makes it greedy
     * @param seed the draw's seed (see {@link #seed()})
     * @return the configuration, without penalties or grammar
     */
    public static SamplerConfig sampling(float temperature, long seed) {
        return new SamplerConfig(temperature, 40, 0.95f, 0.05f, 1f, 0f, 0f, 64, seed, null, "root");
    }

    /** {@return true when the temperature is {@code <= 0}: the argmax is taken} */
    public boolean isGreedy() {
        return temperature <= 0;
    }

    /** {@return true when any penalty differs from its neutral value, so a penalty stage is built} */
    public boolean hasPenalties() {
        return repeatPenalty != 1f || frequencyPenalty != 0f || presencePenalty != 0f;
    }

    /**
     * {@return this configuration with {@code topK} replaced}
     *
     * @param k tokens kept ({@code <= 0}: all)
     */
    public SamplerConfig withTopK(int k) {
        return new SamplerConfig(temperature, k, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyLastN, seed, grammar, grammarRoot);
    }

    /**
     * {@return this configuration with {@code topP} replaced}
     *
     * @param p cumulative probability kept (1: all)
     */
    public SamplerConfig withTopP(float p) {
        return new SamplerConfig(temperature, topK, p, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyLastN, seed, grammar, grammarRoot);
    }

    /**
     * {@return this configuration with {@code minP} replaced}
     *
     * @param p minimum probability relative to the top token (0: off)
     */
    public SamplerConfig withMinP(float p) {
        return new SamplerConfig(temperature, topK, topP, p, repeatPenalty, frequencyPenalty, presencePenalty, penaltyLastN, seed, grammar, grammarRoot);
    }

    /**
     * {@return this configuration with the penalties replaced}
     *
     * @param repeat the repeat penalty (1: off)
     * @param frequency the frequency penalty (0: off)
     * @param presence the presence penalty (0: off)
     * @param lastN recent tokens looked back over
     */
    public SamplerConfig withPenalties(float repeat, float frequency, float presence, int lastN) {
        return new SamplerConfig(temperature, topK, topP, minP, repeat, frequency, presence, lastN, seed, grammar, grammarRoot);
    }

    /**
     * {@return this configuration with {@code seed} replaced}
     *
     * @param s the draw's seed
     */
    public SamplerConfig withSeed(long s) {
        return new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyLastN, s, grammar, grammarRoot);
    }

    /**
     * Constrains output to a GBNF grammar whose start rule is {@code root}.
     *
     * @param gbnf the grammar text (null: no grammar)
     * @param root its start rule
     * @return this configuration with the grammar replaced
     */
    public SamplerConfig withGrammar(String gbnf, String root) {
        return new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyLastN, seed, gbnf, root);
    }
}
