package io.jdpo.data;

import io.jdpo.llama.ChatTemplate;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.ModelParams;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A model's tokenizer and chat template, loaded once (vocabulary only), encoding preference
 * examples into token pairs: the set-up every command that reads preference data shares.
 */
public final class PairLoader implements AutoCloseable {
    private final LlamaModel vocab;
    private final PairEncoder encoder;

    private PairLoader(Path model, String template, boolean plainText) {
        this.vocab = LlamaModel.load(model, ModelParams.defaults().withVocabOnly(true));
        try {
            this.encoder = new PairEncoder(vocab.tokenizer(), plainText ? null : ChatTemplate.forModel(vocab, template));
        } catch (RuntimeException e) {
            vocab.close();
            throw e;
        }
    }

    /**
     * Conversations rendered with {@code template} (a llama.cpp built-in name or Jinja text),
     * or the model's own when null; plain-text examples tokenized as they are.
     */
    public static PairLoader open(Path model, String template) {
        return new PairLoader(model, template, false);
    }

    /** Plain-text examples only (no chat template). */
    public static PairLoader plainText(Path model) {
        return new PairLoader(model, null, true);
    }

    /** The first {@code limit} examples encoded, in order (all of them when limit is negative). */
    public List<PreferencePair> encode(List<PreferenceExample> examples, int limit) {
        List<PreferencePair> out = new ArrayList<>();
        for (PreferenceExample e : examples) {
            if (out.size() == limit) break;
            out.add(encoder.encode(e));
        }
        return out;
    }

    /** All examples encoded, in order. */
    public List<PreferencePair> encode(List<PreferenceExample> examples) {
        return encode(examples, -1);
    }

    /** Unpaired (KTO) examples encoded, in order, each with its KL completion (see {@link UnpairedEncoder}). */
    public List<UnpairedSample> encodeUnpaired(List<UnpairedExample> examples) {
        return new UnpairedEncoder(encoder).encode(examples);
    }

    /** Completions tokenized apart from their prompt so far (see {@link PairEncoder#boundaryFallbacks()}). */
    public int boundaryFallbacks() {
        return encoder.boundaryFallbacks();
    }

    @Override
    public void close() {
        vocab.close();
    }
}
