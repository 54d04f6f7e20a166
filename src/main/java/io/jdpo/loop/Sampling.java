package io.jdpo.loop;

import io.jdpo.llama.GenerationOptions;
import io.jdpo.llama.SamplerConfig;

import java.util.List;

/**
 * How completions are sampled in the loop: llama.cpp's chain with top-k off, top-p
 * {@code topP}, then {@code temperature}, at most {@code maxTokens} new tokens, cut at the
 * first stop string. Each completion draws from its own seed, derived from {@code seed} and
 * its place (round, prompt, sample), so a run is reproducible and independent of how many
 * completions came before it.
 *
 * @param temperature softmax temperature (> 0: the loop needs distinct samples)
 * @param topP nucleus mass kept (0, 1]; 1 keeps every token
 * @param maxTokens new tokens per completion (>= 1)
 * @param stopStrings texts that end a completion (not included in its text)
 * @param seed the run's sampling seed
 * @param threads llama.cpp threads for sampling and scoring (on an idle machine, the cores;
 *                where other jobs fill the cores, 1: ggml's spinning workers slowed a
 *                round 30-fold there, measured)
 * @param gpuLayers layers llama.cpp offloads to the GPU for sampling and scoring, as its
 *                  {@code -ngl}: negative = all (the default), 0 = CPU only; without a GPU
 *                  build every layer stays on the CPU
 */
public record Sampling(float temperature, float topP, int maxTokens, List<String> stopStrings, long seed, int threads,
                       int gpuLayers) {
    /**
     * Checks the settings.
     *
 ≤ 0, top-p outside (0, 1], maxTokens or threads below 1
     */
    public Sampling {
        if (!(temperature > 0)) throw new IllegalArgumentException("sampling temperature must be > 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must lie in (0, 1], got " + topP);
        if (maxTokens < 1) throw new IllegalArgumentException("max tokens must be >= 1, got " + maxTokens);
        if (threads < 1) throw new IllegalArgumentException("sampling threads must be >= 1, got " + threads);
        stopStrings = List.copyOf(stopStrings);
    }

    /**
     * Sampling with every layer on the GPU where llama.cpp is built for one.
     *
     * @param temperature softmax temperature (> 0)
     * @param topP nucleus mass kept (0, 1]
     * @param maxTokens new tokens per completion (>= 1)
     * @param stopStrings texts that end a completion
     * @param seed the run's sampling seed
     * @param threads llama.cpp threads for sampling and scoring
     * @throws IllegalArgumentException as the canonical constructor
     */
    public Sampling(float temperature, float topP, int maxTokens, List<String> stopStrings, long seed, int threads) {
        this(temperature, topP, maxTokens, stopStrings, seed, threads, -1);
    }

    /**
     * The generation options of one completion.
     *
     * @param round the round (or evaluation) it belongs to
     * @param prompt the prompt's index
     * @param sample the sample's index for that prompt
     * @return options with a seed that depends on the run's seed and these three only
     */
    public GenerationOptions options(long round, long prompt, long sample) {
        SamplerConfig s = new SamplerConfig(temperature, 0, topP, 0f, 1f, 0f, 0f, 64, mix(seed, round, prompt, sample), null, "root");
        return new GenerationOptions(maxTokens, s, stopStrings, true);
    }

    /** A well-spread 32-bit seed (llama.cpp's dist sampler takes a uint32) from four numbers. */
    static long mix(long seed, long a, long b, long c) {
        long h = seed;
        for (long v : new long[]{a, b, c}) {
            h ^= v + 0x9E3779B97F4A7C15L + (h << 6) + (h >>> 2);
            h = (h ^ (h >>> 33)) * 0xFF51AFD7ED558CCDL;
            h = (h ^ (h >>> 33)) * 0xC4CEB9FE1A85EC53L;
            h ^= h >>> 33;
        }
        return h & 0xFFFFFFFFL;
    }
}
