package io.jdpo.data;

import io.jdpo.llama.ChatMessage;
import io.jdpo.llama.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks a chat template once, on a built-in conversation, before any data is read: problems
 * of the template itself would otherwise strike every row. It fails when the rendering of a
 * prompt is not a text prefix of the same conversation with a reply (no completion could be
 * cut from it), or when the text the template closes a reply with holds no end-of-turn token
 * of the model's vocabulary (the model would never learn to stop). It also tells whether the
 * template writes the BOS text itself, in which case the tokenizer must not add another.
 */
public final class TemplateProbe {
    /**
     * What the probe learnt.
     *
     * @param writesBos true if the rendered prompt begins with the BOS token's text, so the
     *                  tokenizer must not add another
     * @param endOfTurn the text the template writes after a reply (holds an end-of-turn token)
     */
    public record Result(boolean writesBos, String endOfTurn) {
    }

    static final String REPLY = "The capital of France is Paris.";
    private static final List<ChatMessage> WITH_SYSTEM = List.of(ChatMessage.system("You are a helpful assistant."),
            ChatMessage.user("Hello!"), ChatMessage.assistant("Hi. How can I help?"), ChatMessage.user("What is the capital of France?"));

    private TemplateProbe() {
    }

    /**
     * Renders a built-in conversation (with a system turn, or without when the template refuses one)
     * and checks it.
     *
     * @param template the template to check
     * @param tok      the model's tokenizer, which decides what an end-of-turn token is
     * @return what the probe learnt
     * @throws TemplateException naming the template and what is wrong
     */
    public static Result check(ChatRenderer template, Tokenizer tok) {
        List<ChatMessage> conv = WITH_SYSTEM;
        String prompt, full;
        try {
            prompt = template.render(conv, true);
            full = template.render(withReply(conv), false);
        } catch (TemplateException withSystem) {
            // Some templates refuse system turns; the probe then asks without one.
            conv = WITH_SYSTEM.subList(1, WITH_SYSTEM.size());
            try {
                prompt = template.render(conv, true);
                full = template.render(withReply(conv), false);
            } catch (TemplateException e) {
                throw new TemplateException("chat template check: " + e.getMessage(), e);
            }
        }
        if (!full.startsWith(prompt)) {
            int at = 0;
            while (at < prompt.length() && at < full.length() && prompt.charAt(at) == full.charAt(at)) at++;
            throw new TemplateException(template.name() + ": the rendering of a prompt is not a text prefix of the same"
                    + " conversation with a reply, so no completion can be cut from it (they part at character " + at
                    + ": prompt " + quote(prompt.substring(at)) + ", with the reply " + quote(full.substring(at)) + ")");
        }
        String completion = full.substring(prompt.length());
        int replyAt = completion.indexOf(REPLY);
        if (replyAt < 0) {
            throw new TemplateException(template.name() + ": the reply does not appear in the rendered conversation (" + quote(completion) + ")");
        }
        String end = completion.substring(replyAt + REPLY.length());
        if (end.isBlank()) {
            throw new TemplateException(template.name() + ": the template writes nothing after a reply, so the model would"
                    + " never learn to stop; use a template with an end-of-turn marker");
        }
        boolean endsTurn = false;
        for (int t : tok.tokenize(end, false, true)) endsTurn |= tok.isEndOfGeneration(t);
        if (!endsTurn) {
            throw new TemplateException(template.name() + ": the template ends a reply with " + quote(end.strip())
                    + ", which is not an end-of-turn token of the model's vocabulary (it tokenizes to "
                    + pieces(tok, end.strip()) + "); choose the template the model was trained with");
        }
        String bosText = tok.bos() >= 0 ? tok.tokenText(tok.bos()) : null;
        return new Result(bosText != null && !bosText.isEmpty() && prompt.startsWith(bosText), end);
    }

    private static List<ChatMessage> withReply(List<ChatMessage> conv) {
        List<ChatMessage> all = new ArrayList<>(conv);
        all.add(ChatMessage.assistant(REPLY));
        return all;
    }

    private static String pieces(Tokenizer tok, String text) {
        List<String> out = new ArrayList<>();
        for (int t : tok.tokenize(text, false, true)) out.add(quote(tok.tokenText(t)));
        return out.size() + " pieces: " + String.join(" ", out);
    }

    private static String quote(String s) {
        String t = s.length() > 60 ? s.substring(0, 60) + "..." : s;
        return "'" + t.replace("\n", "\\n") + "'";
    }
}
