package io.jdpo.data;

import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.ModelParams;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A model's tokenizer and chat template, loaded once (vocabulary only), encoding preference
 * examples into token pairs: the set-up every command that reads preference data shares. The
 * template is checked when the loader opens ({@link TemplateProbe}), before any data is read;
 * rows repaired or skipped are noted in the data's {@link RowFindings}.
 *
 * <p>The loader owns the vocabulary-only llama.cpp model it loads; {@link #close()} frees it.
 * Not thread-safe.
 */
public final class PairLoader implements AutoCloseable {
    private final LlamaModel vocab;
    private final PairEncoder encoder;
    /** Findings of examples that came from no file (see {@link #encode(List, int)}). */
    private final RowFindings own = new RowFindings(false);

    private PairLoader(Path model, String template, boolean plainText) {
        this.vocab = LlamaModel.load(model, ModelParams.defaults().withVocabOnly(true));
        try {
            this.encoder = new PairEncoder(vocab.tokenizer(), plainText ? null : ChatTemplates.forModel(vocab, template));
        } catch (RuntimeException e) {
            vocab.close();
            throw e;
        }
    }

    /**
     * Conversations rendered with {@code template} (a llama.cpp built-in name), or the model's
     * own Jinja template when null; plain-text examples tokenized as they are.
     *
     * @param model    the GGUF model whose tokenizer and template are used (only its vocabulary is loaded)
     * @param template a llama.cpp built-in template name ("chatml", "llama2", ...), or null for the model's own
     * @return the loader, which the caller closes
     * @throws TemplateException when the template is unknown or fails its check
     * @throws io.jdpo.llama.LlamaException when the model file is missing, not GGUF, or refused by llama.cpp
     */
    public static PairLoader open(Path model, String template) {
        return new PairLoader(model, template, false);
    }

    /**
     * Plain-text examples only (no chat template): a conversation fails to encode.
     *
     * @param model the GGUF model whose tokenizer is used
     * @return the loader, which the caller closes
     * @throws io.jdpo.llama.LlamaException when the model file is missing, not GGUF, or refused by llama.cpp
     */
    public static PairLoader plainText(Path model) {
        return new PairLoader(model, null, true);
    }

    /**
     * The first {@code limit} pairs (all of them when limit is negative) of the examples, in
     * order, leaving out the rows skipped; every repair or skip is noted in {@code findings}.
     *
     * @param examples the examples, in file order
     * @param findings where repairs and skips are noted
     * @param limit    the most pairs to return, or negative for all
     * @return the pairs, in order
     * @throws DataException when {@code findings} is strict and a row would be repaired or
     *                       skipped, or a conversation meets a loader without a template
     */
    public List<PreferencePair> encode(List<PreferenceExample> examples, RowFindings findings, int limit) {
        List<PreferencePair> out = new ArrayList<>();
        for (PreferenceExample e : examples) {
            if (out.size() == limit) break;
            PreferencePair p = encoder.encode(e, findings);
            if (p != null) out.add(p);
        }
        return out;
    }

    /**
     * A data file's pairs, noted in its findings.
     *
     * @param data what {@link PreferenceReader} read
     * @return every pair, in order, skipped rows left out
     * @throws DataException as {@link #encode(List, RowFindings, int)}
     */
    public List<PreferencePair> encode(PreferenceReader.Data data) {
        return encode(data.examples(), data.findings(), -1);
    }

    /**
     * An SFT data file's examples as prompt and completion tokens, in order, leaving out the
     * rows skipped (noted in the data's findings).
     *
     * @param data what {@link SftReader} read
     * @return the samples
     */
    public List<SftSample> encodeSft(SftReader.Data data) {
        return encodeSft(data.examples(), data.findings());
    }

    /**
     * Examples' chosen completions as SFT samples (a preference pair's chosen, or a
     * {@link PreferenceExample#completion}), in order, leaving out the rows skipped.
     *
     * @param examples the examples
     * @param findings where repairs and skips are noted
     * @return the samples
     */
    public List<SftSample> encodeSft(List<PreferenceExample> examples, RowFindings findings) {
        List<SftSample> out = new ArrayList<>();
        for (PreferenceExample e : examples) {
            SftSample s = encoder.encodeChosen(e, findings);
            if (s != null) out.add(s);
        }
        return out;
    }

    /**
     * Unpaired (KTO) examples encoded, in order, each with its KL completion (see {@link UnpairedEncoder}).
     * Findings go to {@link #findings()}.
     *
     * @param examples the examples, at least two
     * @return the samples, skipped rows left out
     * @throws DataException when there are fewer than two examples, or as {@link #encode(List, RowFindings, int)}
     */
    public List<UnpairedSample> encodeUnpaired(List<UnpairedExample> examples) {
        return new UnpairedEncoder(encoder).encode(examples, own);
    }

    /**
     * The first {@code limit} pairs of a data file, noted in its findings.
     *
     * @param data  what {@link PreferenceReader} read
     * @param limit the most pairs to return, or negative for all
     * @return the pairs, in order
     * @throws DataException as {@link #encode(List, RowFindings, int)}
     */
    public List<PreferencePair> encode(PreferenceReader.Data data, int limit) {
        return encode(data.examples(), data.findings(), limit);
    }

    /**
     * The first {@code limit} pairs of examples from no file; findings in {@link #findings()}.
     *
     * @param examples the examples
     * @param limit    the most pairs to return, or negative for all
     * @return the pairs, in order
     * @throws DataException as {@link #encode(List, RowFindings, int)}
     */
    public List<PreferencePair> encode(List<PreferenceExample> examples, int limit) {
        return encode(examples, own, limit);
    }

    /**
     * All pairs of examples from no file, in order; findings in {@link #findings()}.
     *
     * @param examples the examples
     * @return the pairs, in order
     * @throws DataException as {@link #encode(List, RowFindings, int)}
     */
    public List<PreferencePair> encode(List<PreferenceExample> examples) {
        return encode(examples, own, -1);
    }

    /** {@return what happened to the rows of examples encoded without their own findings (never strict)} */
    public RowFindings findings() {
        return own;
    }

    /** Frees the vocabulary; the loader cannot encode after. */
    @Override
    public void close() {
        vocab.close();
    }
}
