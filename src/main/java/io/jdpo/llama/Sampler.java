package io.jdpo.llama;

import io.jdpo.bindings.LlamaH;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A llama.cpp sampler chain built from a {@link SamplerConfig}; it keeps state (penalty
 * history, grammar, RNG). Owns native memory until {@link #close()}; closing its model closes
 * it. For one thread at a time.
 */
public final class Sampler extends NativeHandle {
    private final SamplerConfig config;

    private final LlamaModel model;

    /**
     * Builds the chain. A grammar sampler keeps the model's vocabulary: the sampler is closed
     * with its model.
     *
     * @param model the open model whose vocabulary the penalties and grammar use
     * @param config the chain to build
     * @throws LlamaException if llama.cpp refuses a stage (most often a grammar that does not parse)
     * @throws IllegalStateException if the model is closed
     */
    public Sampler(LlamaModel model, SamplerConfig config) {
        super("sampler", model.call(m -> build(m, config)));
        this.config = config;
        this.model = model;
        model.register(this);
    }

    private static MemorySegment build(MemorySegment model, SamplerConfig c) {
        LlamaRuntime.get();
        MemorySegment chain;
        try (Arena arena = Arena.ofConfined()) {
            chain = LlamaH.llama_sampler_chain_init(LlamaH.llama_sampler_chain_default_params(arena));
        }
        try {
            if (c.hasPenalties()) {
                int nVocab = LlamaH.llama_vocab_n_tokens(LlamaH.llama_model_get_vocab(model));
                add(chain, LlamaH.llama_sampler_init_penalties(nVocab, c.penaltyLastN(), c.repeatPenalty(),
                        c.frequencyPenalty(), c.presencePenalty()), "penalties");
            }
            if (c.grammar() != null) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment vocab = LlamaH.llama_model_get_vocab(model);
                    add(chain, LlamaH.llama_sampler_init_grammar(vocab, arena.allocateFrom(c.grammar()),
                            arena.allocateFrom(c.grammarRoot())), "grammar (does the GBNF parse, with rule '" + c.grammarRoot() + "'?)");
                }
            }
            if (c.isGreedy()) {
                add(chain, LlamaH.llama_sampler_init_greedy(), "greedy");
            } else {
                if (c.topK() > 0) add(chain, LlamaH.llama_sampler_init_top_k(c.topK()), "top-k");
                if (c.topP() < 1f) add(chain, LlamaH.llama_sampler_init_top_p(c.topP(), 1), "top-p");
                if (c.minP() > 0f) add(chain, LlamaH.llama_sampler_init_min_p(c.minP(), 1), "min-p");
                add(chain, LlamaH.llama_sampler_init_temp(c.temperature()), "temperature");
                add(chain, LlamaH.llama_sampler_init_dist((int) c.seed()), "dist");
            }
            return chain;
        } catch (RuntimeException e) {
            LlamaH.llama_sampler_free(chain);
            throw e;
        }
    }

    private static void add(MemorySegment chain, MemorySegment sampler, String what) {
        if (sampler.equals(MemorySegment.NULL)) {
            throw new LlamaException("llama.cpp could not create the " + what + " sampler");
        }
        LlamaH.llama_sampler_chain_add(chain, sampler);
    }

    /** {@return the configuration the chain was built from} */
    public SamplerConfig config() {
        return config;
    }

    /**
     * Picks a token from the logits at {@code batchIndex} of the context's last decode and
     * records it in the chain's state (penalty history, grammar).
     *
     * @param ctx the context that decoded, on the same model
     * @param batchIndex the batch index of a token decoded with logits (-1: the last one)
     * @return the chosen token id
     * @throws IllegalStateException if the sampler or the context is closed
     */
    public int sample(LlamaContext ctx, int batchIndex) {
        try (Hold s = hold()) {
            return ctx.sample(s.ptr(), batchIndex);
        }
    }

    /**
     * Forgets history and grammar state; the RNG continues.
     *
     * @throws IllegalStateException if the sampler is closed
     */
    public void reset() {
        call(s -> {
            LlamaH.llama_sampler_reset(s);
            return null;
        });
    }

    @Override
    void free(MemorySegment pointer) {
        model.unregister(this);
        LlamaH.llama_sampler_free(pointer);
    }
}
