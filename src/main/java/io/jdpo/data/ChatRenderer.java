package io.jdpo.data;

import io.jdpo.llama.ChatMessage;

import java.util.List;

/**
 * Turns a conversation into the text the model reads: either the model's own Jinja template
 * ({@link JinjaChatTemplate}) or one of llama.cpp's built-ins ({@link BuiltinChatTemplate}).
 */
public interface ChatRenderer {
    /** {@return how messages name this template: "template llama2", "the model's own template (tokenizer.chat_template of m.gguf)"} */
    String name();

    /**
     * The conversation as text; with {@code addGenerationPrompt} it ends with the opening of the
     * assistant's reply, which is where a completion begins.
     *
     * @param messages            the conversation, in order
     * @param addGenerationPrompt true to end with the opening of an assistant reply
     * @return the rendered text, special tokens written as their texts (e.g. "&lt;|im_start|&gt;")
     * @throws TemplateException when the template cannot render these messages
     */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt);
}
