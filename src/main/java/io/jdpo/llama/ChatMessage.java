package io.jdpo.llama;

import java.util.Objects;

/**
 * One turn of a conversation, as a chat template reads it.
 *
 * @param role who speaks: usually "system", "user" or "assistant"; passed to the template as is
 * @param content the turn's text
 */
public record ChatMessage(String role, String content) {
    /**
     * Checks the components.
     *
     * @throws NullPointerException if {@code role} or {@code content} is null
     */
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    /**
     * A "system" turn.
     *
     * @param content the turn's text
     * @return the message
     */
    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    /**
     * A "user" turn.
     *
     * @param content the turn's text
     * @return the message
     */
    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    /**
     * A "assistant" turn.
     *
     * @param content the turn's text
     * @return the message
     */
    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
