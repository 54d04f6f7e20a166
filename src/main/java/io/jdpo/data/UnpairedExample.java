package io.jdpo.data;

import io.jdpo.llama.ChatMessage;

import java.util.List;

/**
 * One unpaired example as read from a file, before tokenization (KTO's data): a prompt (text,
 * or messages for a chat template), one completion of it, and whether that completion is
 * desirable. {@code origin} is "file:line" for messages about it.
 */
public record UnpairedExample(String origin, List<ChatMessage> promptMessages, String promptText, String completion,
                              boolean desirable) {
    public UnpairedExample {
        if ((promptMessages == null) == (promptText == null)) {
            throw new IllegalArgumentException("an example has either prompt messages or prompt text");
        }
        if (promptMessages != null) promptMessages = List.copyOf(promptMessages);
    }

    /** The two examples a preference pair makes: its chosen completion desirable, its rejected one not. */
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
