package io.jdpo.data;

import io.jdpo.llama.ChatMessage;
import io.jdpo.llama.ChatTemplate;
import io.jdpo.llama.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns examples into the token sequences both engines score. Plain-text examples are
 * tokenized as they are (BOS by the tokenizer's rule) with EOS closing each completion, as
 * TRL does. Conversations are rendered by the chat template: the prompt with the assistant
 * opening, each completion as the rest of the full rendering. A lint fails clearly on the
 * template mistakes that silently spoil training: a doubled BOS, a prompt/completion
 * boundary that moves when the whole text is tokenized, and a reply without its
 * end-of-turn token.
 */
public final class PairEncoder {
    private final Tokenizer tok;
    private final ChatTemplate template;
    private int boundaryFallbacks;

    /** template may be null when every example is plain text. */
    public PairEncoder(Tokenizer tok, ChatTemplate template) {
        this.tok = tok;
        this.template = template;
    }

    public PreferencePair encode(PreferenceExample e) {
        if (!e.conversational()) {
            int[] prompt = tok.tokenize(e.promptText(), true, false);
            return new PreferencePair(prompt, withEos(textCompletion(prompt, e.promptText(), e.chosen())),
                    withEos(textCompletion(prompt, e.promptText(), e.rejected())));
        }
        if (template == null) {
            throw new DataException(e.origin() + ": a conversation needs a chat template; the model has none, name a built-in one");
        }
        String prompt = template.apply(e.promptMessages(), true);
        int[] promptTokens = tok.tokenize(prompt, true, true);
        if (promptTokens.length >= 2 && promptTokens[0] == tok.bos() && promptTokens[1] == tok.bos()) {
            throw new DataException(e.origin() + ": doubled BOS: the chat template writes the BOS text and the tokenizer adds another");
        }
        return new PreferencePair(promptTokens, completion(e, prompt, promptTokens, e.chosen(), "chosen"),
                completion(e, prompt, promptTokens, e.rejected(), "rejected"));
    }

    private int[] completion(PreferenceExample e, String prompt, int[] promptTokens, String reply, String which) {
        List<ChatMessage> all = new ArrayList<>(e.promptMessages());
        all.add(ChatMessage.assistant(reply));
        String full = template.apply(all, false);
        if (!full.startsWith(prompt)) {
            throw new DataException(e.origin() + ": the chat template renders the prompt differently once the " + which
                    + " reply follows; the prompt/completion boundary is not a text prefix");
        }
        int[] whole = tok.tokenize(full, true, true);
        if (!startsWith(whole, promptTokens) || whole.length == promptTokens.length) {
            throw new DataException(e.origin() + ": the prompt/completion boundary moves under tokenization (" + which
                    + "): the whole conversation's tokens do not begin with the prompt's tokens");
        }
        int[] tokens = Arrays.copyOfRange(whole, promptTokens.length, whole.length);
        boolean ended = false;
        for (int t : tokens) ended |= tok.isEndOfGeneration(t);
        if (!ended) {
            throw new DataException(e.origin() + ": the " + which + " reply has no end-of-turn token after rendering;"
                    + " the model would not learn to stop (check the chat template)");
        }
        return tokens;
    }

    /**
     * The completion's tokens as they appear when prompt and completion are tokenized as one
     * text (a SentencePiece tokenizer would otherwise give the completion's first word a
     * second leading space). Where a token straddles the boundary, the completion is
     * tokenized alone and the pair counted in {@link #boundaryFallbacks()}.
     */
    private int[] textCompletion(int[] promptTokens, String prompt, String completion) {
        int[] whole = tok.tokenize(prompt + completion, true, false);
        if (startsWith(whole, promptTokens) && whole.length > promptTokens.length) {
            return Arrays.copyOfRange(whole, promptTokens.length, whole.length);
        }
        boundaryFallbacks++;
        return tok.tokenize(completion, false, false);
    }

    /** Plain-text completions whose first token merged with the prompt's last, tokenized alone instead. */
    public int boundaryFallbacks() {
        return boundaryFallbacks;
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
