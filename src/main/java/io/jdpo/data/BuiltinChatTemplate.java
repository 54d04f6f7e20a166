package io.jdpo.data;

import io.jdpo.llama.ChatMessage;
import io.jdpo.llama.ChatTemplate;
import io.jdpo.llama.LlamaException;

import java.util.List;

/** One of llama.cpp's built-in templates by name ("llama2", "chatml", ...), rendered by llama.cpp itself. */
public final class BuiltinChatTemplate implements ChatRenderer {
    private final String name;
    private final ChatTemplate template;

    /**
     * Looks the template up by name.
     *
     * @param name a llama.cpp built-in name, e.g. "chatml"
     * @throws TemplateException listing the built-ins when {@code name} is none of them
     */
    public BuiltinChatTemplate(String name) {
        if (!ChatTemplate.builtinNames().contains(name)) {
            throw new TemplateException("unknown chat template '" + name + "'; llama.cpp's built-ins: "
                    + String.join(", ", ChatTemplate.builtinNames()));
        }
        this.name = name;
        this.template = ChatTemplate.named(name);
    }

    @Override
    public String name() {
        return "template " + name;
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        try {
            return template.apply(messages, addGenerationPrompt);
        } catch (LlamaException e) {
            throw new TemplateException(name() + ": " + e.getMessage(), e);
        }
    }
}
