package io.jdpo.data;

import io.jdpo.llama.ChatMessage;
import io.jdpo.llama.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns examples into the token sequences both engines score. Plain-text examples are
 * tokenized as they are (BOS by the tokenizer's rule) with EOS closing each completion, as
 * TRL does. Conversations are rendered by the chat template: the prompt with the assistant
 * opening, each completion as the rest of the full rendering.
 *
 * <p>The template is checked once, when the encoder is made ({@link TemplateProbe}): a template
 * that cannot work fails there, before any data is read. What is wrong with a single row never
 * stops a run; the row is repaired or skipped and noted in {@link RowFindings}:
 * <ul>
 * <li>the prompt/completion boundary moves under tokenization (a reply beginning with {@code "}
 * after llama2's {@code [/INST]}: SentencePiece merges {@code ]"}): the completion is tokenized
 * on its own after the prompt's tokens, as TRL tokenizes every completion;</li>
 * <li>a doubled BOS (the text carries the BOS and the tokenizer adds one): one is removed;</li>
 * <li>the template refuses the conversation, renders its prompt differently once the reply
 * follows, or leaves a reply without an end-of-turn token: the row is skipped.</li>
 * </ul>
 */
public final class PairEncoder {
    private final Tokenizer tok;
    private final ChatRenderer template;
    /** Whether rendered conversations are tokenized with the tokenizer's BOS (false when the template writes it). */
    private final boolean addSpecial;

    /**
     * An encoder; the template is checked here.
     *
     * @param tok      the model's tokenizer, which must stay open while the encoder is used
     * @param template the chat template, or null when every example is plain text
     * @throws TemplateException when the template fails {@link TemplateProbe}'s check
     */
    public PairEncoder(Tokenizer tok, ChatRenderer template) {
        this.tok = tok;
        this.template = template;
        this.addSpecial = template == null || !TemplateProbe.check(template, tok).writesBos();
    }

    /**
     * Every example's pair, in order, leaving out the rows skipped (each noted in {@code findings}).
     *
     * @param examples the examples
     * @param findings where repairs and skips are noted
     * @return the pairs
     * @throws DataException as {@link #encode(PreferenceExample, RowFindings)}
     */
    public List<PreferencePair> encodeAll(List<PreferenceExample> examples, RowFindings findings) {
        List<PreferencePair> out = new ArrayList<>(examples.size());
        for (PreferenceExample e : examples) {
            PreferencePair p = encode(e, findings);
            if (p != null) out.add(p);
        }
        return out;
    }

    /**
     * The example's pair; every repair or skip is noted in {@code findings}.
     *
     * @param e        the example
     * @param findings where repairs and skips are noted
     * @return the pair, or null when the row is skipped
     * @throws DataException when {@code findings} is strict and the row would be repaired or skipped,
     *                       or the example is a conversation and the encoder has no template
     */
    public PreferencePair encode(PreferenceExample e, RowFindings findings) {
        int[][] t = encodeReplies(e, new String[]{e.chosen(), e.rejected()}, new String[]{"chosen", "rejected"}, findings);
        return t == null ? null : new PreferencePair(t[0], t[1], t[2]);
    }

    /**
     * The example's prompt and its chosen completion alone (supervised fine-tuning), or null when
     * the row is skipped; the same rendering, repairs and skips as {@link #encode}.
     *
     * @param e        the example; its rejected completion is not read
     * @param findings where repairs and skips are noted
     * @return the tokens, or null
     */
    public SftSample encodeChosen(PreferenceExample e, RowFindings findings) {
        int[][] t = encodeReplies(e, new String[]{e.chosen()}, new String[]{"completion"}, findings);
        return t == null ? null : new SftSample(t[0], t[1]);
    }

    /** {prompt, reply 1, reply 2, ...} as tokens, or null when the row is skipped. */
    private int[][] encodeReplies(PreferenceExample e, String[] replies, String[] names, RowFindings findings) {
        int[][] out = new int[replies.length + 1][];
        if (!e.conversational()) {
            int[] prompt = tok.tokenize(e.promptText(), true, false);
            if (prompt.length == 0) {
                findings.note(RowFindings.Kind.SKIPPED_EMPTY_PROMPT, e, null);
                return null;
            }
            out[0] = prompt;
            for (int i = 0; i < replies.length; i++) {
                out[i + 1] = withEos(textCompletion(e, findings, prompt, e.promptText(), replies[i]));
                if (out[i + 1].length == 0) {
                    findings.note(RowFindings.Kind.SKIPPED_EMPTY, e, "no tokens");
                    return null;
                }
            }
            return out;
        }
        if (template == null) {
            throw new DataException(e.where() + ": a conversation needs a chat template; the model has none, name a built-in one with --template");
        }
        String prompt;
        String[] full = new String[replies.length];
        try {
            prompt = template.render(e.promptMessages(), true);
            for (int i = 0; i < replies.length; i++) full[i] = template.render(withReply(e, replies[i]), false);
        } catch (TemplateException t) {
            findings.note(RowFindings.Kind.SKIPPED_TEMPLATE_REFUSED, e, t.getMessage());
            return null;
        }
        for (String f : full) {
            if (!f.startsWith(prompt)) {
                findings.note(RowFindings.Kind.SKIPPED_PROMPT_NOT_PREFIX, e, template.name());
                return null;
            }
        }
        int[] promptTokens = tokenizeRendered(e, findings, prompt);
        if (promptTokens.length == 0) {
            findings.note(RowFindings.Kind.SKIPPED_EMPTY_PROMPT, e, null);
            return null;
        }
        out[0] = promptTokens;
        for (int i = 0; i < replies.length; i++) out[i + 1] = completion(e, findings, prompt, promptTokens, full[i], names[i]);
        for (int i = 1; i < out.length; i++) {
            if (!endsTurn(out[i])) {
                findings.note(RowFindings.Kind.SKIPPED_NO_END_OF_TURN, e, template.name());
                return null;
            }
        }
        return out;
    }

    private static List<ChatMessage> withReply(PreferenceExample e, String reply) {
        List<ChatMessage> all = new ArrayList<>(e.promptMessages());
        all.add(ChatMessage.assistant(reply));
        return all;
    }

    /** Rendered text as tokens, with one BOS at most (a second one is removed and noted). */
    private int[] tokenizeRendered(PreferenceExample e, RowFindings findings, String text) {
        int[] t = tok.tokenize(text, addSpecial, true);
        if (t.length >= 2 && t[0] == tok.bos() && t[1] == tok.bos()) {
            findings.note(RowFindings.Kind.DOUBLED_BOS_REPAIRED, e, null);
            t = Arrays.copyOfRange(t, 1, t.length);
        }
        return t;
    }

    /**
     * The completion's tokens as they appear in the whole conversation's tokens; where the
     * boundary moves (a token straddles it), the completion's text tokenized on its own.
     */
    private int[] completion(PreferenceExample e, RowFindings findings, String prompt, int[] promptTokens, String full, String which) {
        int[] whole = tokenizeRendered(e, findings, full);
        if (startsWith(whole, promptTokens) && whole.length > promptTokens.length) {
            return Arrays.copyOfRange(whole, promptTokens.length, whole.length);
        }
        findings.note(RowFindings.Kind.BOUNDARY_RETOKENIZED, e, which);
        return tok.tokenize(full.substring(prompt.length()), false, true);
    }

    private boolean endsTurn(int[] tokens) {
        for (int t : tokens) if (tok.isEndOfGeneration(t)) return true;
        return false;
    }

    /**
     * The completion's tokens as they appear when prompt and completion are tokenized as one
     * text (a SentencePiece tokenizer would otherwise give the completion's first word a
     * second leading space). Where a token straddles the boundary, the completion is
     * tokenized alone and the row noted.
     */
    private int[] textCompletion(PreferenceExample e, RowFindings findings, int[] promptTokens, String prompt, String completion) {
        int[] whole = tok.tokenize(prompt + completion, true, false);
        if (startsWith(whole, promptTokens) && whole.length > promptTokens.length) {
            return Arrays.copyOfRange(whole, promptTokens.length, whole.length);
        }
        findings.note(RowFindings.Kind.BOUNDARY_RETOKENIZED, e, null);
        return tok.tokenize(completion, false, false);
    }

    private static boolean startsWith(int[] a, int[] prefix) {
        return a.length >= prefix.length && Arrays.equals(a, 0, prefix.length, prefix, 0, prefix.length);
    }

    private int[] withEos(int[] tokens) {
        if (tok.eos() < 0) return tokens;
        int[] out = Arrays.copyOf(tokens, tokens.length + 1);
        out[tokens.length] = tok.eos();
        return out;
    }
}
