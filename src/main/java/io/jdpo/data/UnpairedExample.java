package io.jdpo.data;

import io.jdpo.llama.ChatMessage;

import java.util.List;

/**
 * One unpaired example as read from a file, before tokenization (KTO's data): a prompt (text,
 * or messages for a chat template), one completion of it, and whether that completion is
 * desirable.
 *
 * @param origin         "file:line:column" of the record, for messages about it
 * @param promptMessages the conversation before the reply (an unmodifiable copy), or null for plain text
 * @param promptText     the prompt of a plain-text example, or null for a conversation
 * @param completion     the completion or assistant reply
 * @param desirable      KTO's label: true if the completion is one to learn towards
 */
public record UnpairedExample(String origin, List<ChatMessage> promptMessages, String promptText, String completion,
                              boolean desirable) {
    /**
     * Checks the prompt's kind.
     *
     * @throws IllegalArgumentException unless exactly one of promptMessages and promptText is given
     */
    public UnpairedExample {
        if ((promptMessages == null) == (promptText == null)) {
            throw new IllegalArgumentException("an example has either prompt messages or prompt text");
        }
        if (promptMessages != null) promptMessages = List.copyOf(promptMessages);
    }

    /**
     * The two examples a preference pair makes: its chosen completion desirable, its rejected one not.
     *
     * @param e a preference example
     * @return its chosen then its rejected completion, as unpaired examples
     */
    public static List<UnpairedExample> split(PreferenceExample e) {
        return List.of(new UnpairedExample(e.origin(), e.promptMessages(), e.promptText(), e.chosen(), true),
                new UnpairedExample(e.origin(), e.promptMessages(), e.promptText(), e.rejected(), false));
    }

    /** Same prompt (text or messages). */
    boolean samePrompt(UnpairedExample o) {
        return java.util.Objects.equals(promptText, o.promptText) && java.util.Objects.equals(promptMessages, o.promptMessages);
    }

    /** This prompt followed by {@code completion} and {@code other} (another example's completion), as a pair to encode. */
    PreferenceExample withSecond(String other) {
        // Row 0: the findings name the example by its origin (file:line).
        return new PreferenceExample(origin, promptMessages, promptText, completion, other, 0);
    }
}
