package io.jdpo.llama;

import io.jdpo.bindings.LlamaH;
import io.jdpo.bindings.llama_chat_message;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders conversations into prompt text with llama.cpp's chat-template engine
 * ({@code llama_chat_apply_template}): either a model's own template or a named built-in
 * such as "chatml", "llama3" or "zephyr". Immutable and thread-safe; it holds no native
 * memory, so it outlives the model it was taken from.
 */
public final class ChatTemplate {
    private final String template;

    private ChatTemplate(String template) {
        this.template = template;
    }

    /**
     * The model's own template ({@code tokenizer.chat_template}).
     *
     * @param model an open model
     * @return its template
     * @throws LlamaException if the model has none; the message names the model's path and the
     *         built-in names to choose from
     * @throws IllegalStateException if the model is closed
     */
    public static ChatTemplate of(LlamaModel model) {
        return new ChatTemplate(model.chatTemplate().orElseThrow(() -> new LlamaException(
                "model " + model.path() + " has no chat template (tokenizer.chat_template); name a built-in one: "
                        + builtinNames())));
    }

    /**
     * The template a command should use: the named one when a name is given, else the
     * model's own, else null (the model has none: plain-text data only).
     *
     * @param model an open model
     * @param nameOrNull a built-in name or Jinja text (see {@link #named}), or null
     * @return the template, or null when none is named and the model has none
     * @throws IllegalStateException if no name is given and the model is closed
     */
    public static ChatTemplate forModel(LlamaModel model, String nameOrNull) {
        if (nameOrNull != null) return named(nameOrNull);
        return model.chatTemplate().isPresent() ? of(model) : null;
    }

    /**
     * A built-in template by name (see {@link #builtinNames()}), or a full Jinja template text.
     * Nothing is checked until {@link #apply}.
     *
     * @param nameOrTemplate the name or template text
     * @return the template
     */
    public static ChatTemplate named(String nameOrTemplate) {
        return new ChatTemplate(nameOrTemplate);
    }

    /** {@return the name or template text this was made from, as given} */
    public String source() {
        return template;
    }

    /**
     * The built-in names llama.cpp accepts for {@link #named(String)}.
     *
     * @return the names, in llama.cpp's order
     * @throws LlamaException if llama.cpp cannot be loaded
     */
    public static List<String> builtinNames() {
        LlamaRuntime.get();
        try (Arena arena = Arena.ofConfined()) {
            int n = LlamaH.llama_chat_builtin_templates(MemorySegment.NULL, 0);
            MemorySegment names = arena.allocate(ValueLayout.ADDRESS, n);
            LlamaH.llama_chat_builtin_templates(names, n);
            List<String> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(Native.string(names.getAtIndex(ValueLayout.ADDRESS, i)));
            }
            return out;
        }
    }

    /**
     * Renders messages; with {@code addAssistantStart} the text ends with the tokens that open
     * the assistant's reply, which is where a completion begins. llama.cpp recognises a
     * template by name or by known markers in its text; it does not run arbitrary Jinja.
     *
     * @param messages the turns in order (may be empty)
     * @param addAssistantStart whether to append the opening of an assistant turn
     * @return the rendered prompt text
     * @throws LlamaException if llama.cpp does not support the template; the message shows
     *         its first 60 characters
     */
    public String apply(List<ChatMessage> messages, boolean addAssistantStart) {
        LlamaRuntime.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chat = llama_chat_message.allocateArray(Math.max(1, messages.size()), arena);
            long total = 0;
            for (int i = 0; i < messages.size(); i++) {
                MemorySegment m = llama_chat_message.asSlice(chat, i);
                llama_chat_message.role(m, arena.allocateFrom(messages.get(i).role()));
                llama_chat_message.content(m, arena.allocateFrom(messages.get(i).content()));
                total += messages.get(i).content().length() + messages.get(i).role().length();
            }
            MemorySegment tmpl = arena.allocateFrom(template);
            int capacity = (int) Math.min(Integer.MAX_VALUE, 2 * total + 256);
            MemorySegment buf = arena.allocate(capacity);
            int n = LlamaH.llama_chat_apply_template(tmpl, chat, messages.size(), addAssistantStart, buf, capacity);
            if (n < 0) {
                throw new LlamaException("chat template not supported by llama.cpp: "
                        + (template.length() > 60 ? template.substring(0, 60) + "..." : template));
            }
            if (n > capacity) {
                buf = arena.allocate(n);
                n = LlamaH.llama_chat_apply_template(tmpl, chat, messages.size(), addAssistantStart, buf, n);
            }
            return new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }
}
