package io.jdpo.data;

import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.Tokenizer;

import java.util.LinkedHashMap;
import java.util.Map;

/** Which template renders a model's conversations: a named llama.cpp built-in, else the model's own Jinja template. */
public final class ChatTemplates {
    private ChatTemplates() {
    }

    /**
     * The named built-in when a name is given, else the model's own {@code tokenizer.chat_template}
     * rendered by Jinja, else null (the model has none: plain-text data only).
     *
     * @param model       the model, whose metadata and token texts (bos_token, eos_token) the Jinja template reads
     * @param builtinName a llama.cpp built-in template name, or null for the model's own
     * @return the renderer, or null when no name is given and the model has no template
     * @throws TemplateException when {@code builtinName} is not a llama.cpp built-in
     */
    public static ChatRenderer forModel(LlamaModel model, String builtinName) {
        if (builtinName != null) return new BuiltinChatTemplate(builtinName);
        return model.chatTemplate().map(src -> (ChatRenderer) new JinjaChatTemplate(
                "the model's own template (tokenizer.chat_template of " + model.path().getFileName() + ")", src,
                specialTokens(model.tokenizer()))).orElse(null);
    }

    /** bos_token and eos_token as Hugging Face passes them to templates: the tokens' texts. */
    static Map<String, String> specialTokens(Tokenizer tok) {
        Map<String, String> m = new LinkedHashMap<>();
        if (tok.bos() >= 0) m.put("bos_token", tok.tokenText(tok.bos()));
        if (tok.eos() >= 0) m.put("eos_token", tok.tokenText(tok.eos()));
        return m;
    }
}
