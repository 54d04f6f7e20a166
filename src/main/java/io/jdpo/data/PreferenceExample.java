package io.jdpo.data;

import io.jdpo.llama.ChatMessage;

import java.util.List;

/**
 * One preference example as read from a file, before tokenization: either plain text (a
 * prompt string continued by two completion strings) or a conversation (prompt messages
 * answered by two assistant replies, rendered later by a chat template).
 *
 * @param origin         "file:line:column" of the record, for messages about it
 * @param promptMessages the conversation before the reply (kept as an unmodifiable copy), or
 *                       null for a plain-text example
 * @param promptText     the prompt of a plain-text example, or null for a conversation
 * @param chosen         the preferred completion or reply
 * @param rejected       the other one
 * @param row            its 1-based record number in the file (0 when it came from no file)
 */
public record PreferenceExample(String origin, List<ChatMessage> promptMessages, String promptText, String chosen,
                                String rejected, int row) {
    /**
     * Checks the prompt's kind.
     *
     * @throws IllegalArgumentException unless exactly one of promptMessages and promptText is given
     */
    public PreferenceExample {
        if ((promptMessages == null) == (promptText == null)) {
            throw new IllegalArgumentException("an example has either prompt messages or prompt text");
        }
        if (promptMessages != null) promptMessages = List.copyOf(promptMessages);
    }

    /**
     * A plain-text example from no file (row 0).
     *
     * @param origin   how messages name it
     * @param prompt   the prompt text, continued directly by each completion
     * @param chosen   the preferred completion
     * @param rejected the other one
     * @return the example
     */
    public static PreferenceExample text(String origin, String prompt, String chosen, String rejected) {
        return new PreferenceExample(origin, null, prompt, chosen, rejected, 0);
    }

    /**
     * A conversational example from no file (row 0).
     *
     * @param origin   how messages name it
     * @param prompt   the conversation before the reply
     * @param chosen   the preferred assistant reply
     * @param rejected the other one
     * @return the example
     */
    public static PreferenceExample chat(String origin, List<ChatMessage> prompt, String chosen, String rejected) {
        return new PreferenceExample(origin, prompt, null, chosen, rejected, 0);
    }

    /**
     * A supervised fine-tuning example: one completion of the prompt (held as {@code chosen}),
     * no rejected one ({@code rejected} is null; {@link PairEncoder#encodeChosen} reads only the
     * chosen). It is a PreferenceExample so the encoder's repairs, skips and findings apply as
     * they are.
     *
     * @param origin         "file:line:column" of the record
     * @param promptMessages the prompt as messages, or null for a text prompt
     * @param promptText     the prompt as text, or null for messages
     * @param completion     the completion (an assistant reply for messages)
     * @param row            1-based record number in the file
     * @return the example
     */
    public static PreferenceExample completion(String origin, List<ChatMessage> promptMessages, String promptText, String completion, int row) {
        return new PreferenceExample(origin, promptMessages, promptText, completion, null, row);
    }

    /**
     * The same example as record {@code n} of its file.
     *
     * @param n the 1-based record number
     * @return a copy with that row
     */
    public PreferenceExample atRow(int n) {
        return new PreferenceExample(origin, promptMessages, promptText, chosen, rejected, n);
    }

    /** {@return how findings name the example: "row 14 (prefs.json:210:1)", or the origin alone for row 0} */
    public String where() {
        return row > 0 ? "row " + row + " (" + origin + ")" : origin;
    }

    /** {@return true if the prompt is a conversation to render with a chat template} */
    public boolean conversational() {
        return promptMessages != null;
    }
}
