package io.jdpo.data;

import io.jdpo.llama.ChatMessage;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Jinja constructs Hugging Face chat templates use, each rendered as Python's Jinja2 renders
 * it (the expected strings are Jinja2 3.1's output); the real templates are held to a JavaScript
 * peer in {@link RealTokenizerPeerTest}.
 */
class JinjaChatTemplateTest {
    private static final List<ChatMessage> CHAT = List.of(ChatMessage.system("sys"), ChatMessage.user("  hi there  "),
            ChatMessage.assistant("<think>\nplan\n</think>\n\nanswer"), ChatMessage.user("last"));

    private static String render(String template) {
        return new JinjaChatTemplate("t", template, Map.of("bos_token", "<s>", "eos_token", "</s>")).render(CHAT, true);
    }

    @Test
    void pythonStringMethods() {
        assertEquals("yes|no", render("{{ 'yes' if messages[1].content.strip().startswith('hi') else 'no' }}|"
                + "{{ 'yes' if messages[0].content.endswith('x') else 'no' }}"));
        assertEquals("answer", render("{{ messages[2].content.split('</think>')[-1].lstrip('\\n') }}"));
        assertEquals("plan", render("{{ messages[2].content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}"));
        assertEquals("a|b|c", render("{{ '|'.join(' a  b\\tc '.split()) }}"));
        // Python's Jinja2 3.1.6 renders Qwen3's "content.lstrip('\n')" of " reply " keeping the space.
        assertEquals("[ reply ]", render("[{{ ' reply '.lstrip('\\n') }}]"));
        assertEquals("x.y", render("{{ 'x|y'.replace('|', '.') }}"), "a literal, not a regex");
        assertEquals("hi there", render("{{ messages[1].content | trim }}"));
        assertEquals("nbsp", new JinjaChatTemplate("t", "{{ messages[0].content | trim }}", Map.of())
                .render(List.of(ChatMessage.user("\u00a0nbsp\u00a0")), false), "trim is Python's strip: Unicode spaces too");
    }

    @Test
    void slicesNamespacesAndWhitespaceMarks() {
        assertEquals("user,assistant,user,system,", render("{% for m in messages[::-1] %}{{ m.role }},{% endfor %}"));
        assertEquals("2", render("{% set ns = namespace(last=messages|length - 2) %}{{ ns.last }}"));
        assertEquals("<s>AB", render("{{ bos_token }}\n  {%- if true %}\n    {{- 'A' }}\n  {%- endif %}\n{{- 'B' -}}\n  "));
        assertEquals("line\n", render("{% if true %}\nline\n{% endif %}\n"), "trim_blocks and lstrip_blocks");
    }

    @Test
    void tojsonAsHuggingFaceWritesIt() {
        assertEquals("{\"name\": \"f\", \"args\": [1, \"\\u00e9\\n\"]}".replace("\\u00e9", "é"),
                render("{{ {'name': 'f', 'args': [1, 'é\\n']} | tojson }}"));
    }

    @Test
    void errorsNameTheTemplateAndTheLine() {
        String t = "{%- for m in messages -%}\n  {%- if m.role == 'system' -%}\n    {{ raise_exception('no system turns') }}\n  {%- endif -%}\n{%- endfor -%}";
        TemplateException e = assertThrows(TemplateException.class, () -> render(t));
        assertEquals("t, line 3: the template refuses these messages (raise_exception): no system turns", e.getMessage());
        TemplateException syntax = assertThrows(TemplateException.class, () -> render("ok\n{{ messages[0].content.nosuchmethod() }}"));
        assertTrue(syntax.getMessage().startsWith("t, line 2: "), syntax.getMessage());
    }
}
