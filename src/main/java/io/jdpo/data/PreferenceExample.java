package io.jdpo.data;

import io.jdpo.llama.ChatMessage;

import java.util.List;

/**
 * One preference example as read from a file, before tokenization: either plain text (a
 * prompt string continued by two completion strings) or a conversation (prompt messages
 * answered by two assistant replies, rendered later by a chat template). {@code origin} is
 * "file:line" for messages about it; {@code row} its 1-based record number in the file (0 when
 * it came from no file).
 */
public record PreferenceExample(String origin, List<ChatMessage> promptMessages, String promptText, String chosen,
                                String rejected, int row) {
    public PreferenceExample {
        if ((promptMessages == null) == (promptText == null)) {
            throw new IllegalArgumentException("an example has either prompt messages or prompt text");
        }
        if (promptMessages != null) promptMessages = List.copyOf(promptMessages);
    }

    public static PreferenceExample text(String origin, String prompt, String chosen, String rejected) {
        return new PreferenceExample(origin, null, prompt, chosen, rejected, 0);
    }

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

    /** The same example as record {@code n} of its file. */
    public PreferenceExample atRow(int n) {
        return new PreferenceExample(origin, promptMessages, promptText, chosen, rejected, n);
    }

    /** "row 14 (prefs.json:210)": how findings name the example. */
    public String where() {
        return row > 0 ? "row " + row + " (" + origin + ")" : origin;
    }

    public boolean conversational() {
        return promptMessages != null;
    }
}
