package io.jdpo.data;

import io.jdpo.llama.ChatMessage;

import java.util.List;

/**
 * One preference example as read from a file, before tokenization: either plain text (a
 * prompt string continued by two completion strings) or a conversation (prompt messages
 * answered by two assistant replies, rendered later by a chat template). {@code origin} is
 * "file:line" for messages about it.
 */
public record PreferenceExample(String origin, List<ChatMessage> promptMessages, String promptText, String chosen,
                                String rejected) {
    public PreferenceExample {
        if ((promptMessages == null) == (promptText == null)) {
            throw new IllegalArgumentException("an example has either prompt messages or prompt text");
        }
        if (promptMessages != null) promptMessages = List.copyOf(promptMessages);
    }

    public static PreferenceExample text(String origin, String prompt, String chosen, String rejected) {
        return new PreferenceExample(origin, null, prompt, chosen, rejected);
    }

    public static PreferenceExample chat(String origin, List<ChatMessage> prompt, String chosen, String rejected) {
        return new PreferenceExample(origin, prompt, null, chosen, rejected);
    }

    public boolean conversational() {
        return promptMessages != null;
    }
}
