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
     * @throws TemplateException when the template fails its check
     */
    public static PairLoader open(Path model, String template) {
        return new PairLoader(model, template, false);
    }

    /** Plain-text examples only (no chat template). */
    public static PairLoader plainText(Path model) {
        return new PairLoader(model, null, true);
    }

    /**
     * The first {@code limit} pairs (all of them when limit is negative) of the examples, in
     * order, leaving out the rows skipped; every repair or skip is noted in {@code findings}.
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

    /** A data file's pairs, noted in its findings. */
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

    /** Unpaired (KTO) examples encoded, in order, each with its KL completion (see {@link UnpairedEncoder}). */
    public List<UnpairedSample> encodeUnpaired(List<UnpairedExample> examples) {
        return new UnpairedEncoder(encoder).encode(examples, own);
    }

    /** The first {@code limit} pairs of a data file, noted in its findings. */
    public List<PreferencePair> encode(PreferenceReader.Data data, int limit) {
        return encode(data.examples(), data.findings(), limit);
    }

    /** The first {@code limit} pairs of examples from no file; findings in {@link #findings()}. */
    public List<PreferencePair> encode(List<PreferenceExample> examples, int limit) {
        return encode(examples, own, limit);
    }

    /** All pairs of examples from no file, in order; findings in {@link #findings()}. */
    public List<PreferencePair> encode(List<PreferenceExample> examples) {
        return encode(examples, own, -1);
    }

    /** What happened to the rows of examples encoded without their own findings. */
    public RowFindings findings() {
        return own;
    }

    @Override
    public void close() {
        vocab.close();
    }
}
