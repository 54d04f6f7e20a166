package io.jdpo.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jdpo.llama.ChatMessage;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.ModelParams;
import io.jdpo.testing.RealTokenizer;
import io.jdpo.testing.TestData;
import io.jdpo.testing.TestModelFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Real tokenizers (Llama 3.1, Qwen3, Gemma 3) held to an independent peer: the model the test
 * factory writes from each tokenizer.json is loaded by llama.cpp, whose token ids must equal
 * those of @lenml/tokenizers (JavaScript, on the machine's node) on over 1,000 strings (the shared
 * preference data's texts, Unicode, code, emoji, whitespace runs); jdpo's Jinja rendering of the
 * model's own chat template must equal @huggingface/jinja's on over 50 conversations (system
 * turns, multi-turn), prompt and full conversation alike.
 */
class RealTokenizerPeerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final TestModelFactory.Shape SHAPE = new TestModelFactory.Shape(32, 1, 2, 2, 64, 512, TestModelFactory.Arch.LLAMA, true);

    @TempDir
    static Path models;

    @ParameterizedTest
    @EnumSource(RealTokenizer.class)
    void llamaCppTokenizesAndJdpoRendersAsThePeer(RealTokenizer tokenizer) throws Exception {
        List<String> strings = corpus();
        List<List<ChatMessage>> conversations = conversations();
        Path model = TestModelFactory.cached(tokenizer, SHAPE, 1, models);
        JsonNode peer = peer(tokenizer, strings, conversations);

        try (LlamaModel m = LlamaModel.load(model, ModelParams.defaults().withVocabOnly(true))) {
            int differ = 0, unnormalized = 0;
            String firstDiff = null;
            boolean nfc = tokenizer.normalizesNfc();
            for (int i = 0; i < strings.size(); i++) {
                String s = strings.get(i);
                int[] ours = m.tokenizer().tokenize(s, false, false);
                int[] theirs = ids(peer.get("ids").get(i));
                // llama.cpp does not apply tokenizer.json's NFC normalizer (Qwen's): text not in NFC
                // tokenizes differently there, and as the peer once composed.
                if (nfc && !Normalizer.isNormalized(s, Normalizer.Form.NFC) && !Arrays.equals(ours, theirs)
                        && Arrays.equals(m.tokenizer().tokenize(Normalizer.normalize(s, Normalizer.Form.NFC), false, false), theirs)) {
                    unnormalized++;
                    continue;
                }
                if (!Arrays.equals(ours, theirs)) {
                    differ++;
                    if (firstDiff == null) firstDiff = "string " + i + " " + JSON.writeValueAsString(strings.get(i))
                            + ": llama.cpp " + Arrays.toString(ours) + ", peer " + Arrays.toString(theirs);
                }
            }
            ChatRenderer jinja = ChatTemplates.forModel(m, null);
            assertInstanceOf(JinjaChatTemplate.class, jinja, "the model's own template is rendered by Jinja");
            int renderings = 0, refused = 0, renderDiffer = 0;
            String firstRenderDiff = null;
            for (int i = 0; i < conversations.size() * 2; i++) {
                List<ChatMessage> conv = conversations.get(i / 2);
                boolean prompt = i % 2 == 0;
                List<ChatMessage> msgs = prompt ? conv.subList(0, conv.size() - 1) : conv;
                JsonNode theirs = peer.get("renderings").get(i);
                String ours;
                try {
                    ours = jinja.render(msgs, prompt);
                } catch (TemplateException e) {
                    ours = null;
                }
                if (theirs.isObject()) {
                    refused++;
                    if (ours != null) {
                        renderDiffer++;
                        if (firstRenderDiff == null) firstRenderDiff = "conversation " + i / 2 + ": the peer refuses (" + theirs + "), jdpo renders";
                    }
                    continue;
                }
                renderings++;
                if (!theirs.asText().equals(ours)) {
                    renderDiffer++;
                    if (firstRenderDiff == null) firstRenderDiff = "conversation " + i / 2 + (prompt ? " (prompt)" : "")
                            + ": jdpo " + JSON.writeValueAsString(ours) + "\npeer " + JSON.writeValueAsString(theirs.asText());
                }
            }
            System.out.printf("%s: %d strings tokenized, %d differ from @lenml/tokenizers (%d more only until NFC-normalized);"
                            + " %d renderings of %d conversations (%d refused by both), %d differ from @huggingface/jinja%n",
                    tokenizer.id(), strings.size(), differ, unnormalized, renderings, conversations.size(), refused, renderDiffer);
            if (firstDiff != null) System.out.println("first token difference: " + firstDiff);
            if (firstRenderDiff != null) System.out.println("first rendering difference: " + firstRenderDiff);
            assertEquals(0, differ, firstDiff);
            assertEquals(0, renderDiffer, firstRenderDiff);
            assertTrue(strings.size() >= 1000 && conversations.size() >= 50, strings.size() + " strings, " + conversations.size() + " conversations");
            assertTrue(renderings >= 100, "prompt and full rendering of each conversation");
        }
    }

    /** Over 1,000 texts: the shared preference files' prompts and replies, then hand-made hard cases. */
    static List<String> corpus() throws IOException {
        List<String> out = new ArrayList<>();
        PreferenceReader.Data hh = PreferenceReader.read(TestData.require("preferences/hh-rlhf-harmless-base-test.jsonl.gz"), null);
        for (PreferenceExample e : hh.examples().subList(0, 200)) {
            out.add(e.promptText());
            out.add(e.chosen());
            out.add(e.rejected());
        }
        PreferenceReader.Data lf = PreferenceReader.read(TestData.require("preferences/llamafactory-dpo-en-demo.json"), null);
        for (PreferenceExample e : lf.examples()) {
            for (ChatMessage m : e.promptMessages()) out.add(m.content());
            out.add(e.chosen());
        }
        List<String> hard = List.of("Hello world", " leading space", "trailing space ", "  two  spaces  inside  ",
                "\ttab\tseparated\t", "line\nbreak", "windows\r\nline", "\n\n\nthree newlines", "     ", "\n", " \n \n ",
                "I'm sure they'll've done it; we'd, you're, it's", "1234567890 3.14159 1e-9 -42 0x1F",
                "日本語のテキストです。", "中文字符和标点，还有数字123。", "한국어 문장입니다.", "Привет, мир!", "Ελληνικά γράμματα",
                "مرحبا بالعالم", "שלום עולם", "हिन्दी पाठ", "ภาษาไทย", "Tiếng Việt có dấu", "café naïve façade coöperate",
                "e\u0301 combining acute", "ﬁ ligature and ＦＵＬＬ width", "emoji 😀😃😄 and 👍🏽 skin tone",
                "family 👨‍👩‍👧‍👦 zwj sequence", "flags 🇫🇷🇯🇵🇺🇸", "math ∑∫√∞ ≠ ≤ ≥", "arrows → ← ↑ ↓ ⇒",
                "\u00a0non-breaking\u00a0space\u00a0", "zero\u200bwidth\u200bspace", "tab\u3000ideographic space",
                "def f(x):\n    return x * 2\n", "for (int i = 0; i < n; i++) {\n\tsum += a[i];\n}",
                "SELECT * FROM users WHERE id = 42;", "<div class=\"a\">html &amp; entities</div>", "{\"json\": [1, 2, {\"k\": null}]}",
                "https://example.com/path?q=1&r=2#frag", "user@example.com", "C:\\Windows\\System32", "$ ls -la | grep '^d'",
                "```python\nprint('hi')\n```", "#!/bin/bash\necho \"$HOME\"", "a+b=c; x^2 - y_1 != z", "!!!???...,,,;;;",
                "ALL CAPS SHOUTING", "MiXeD cAsE", "snake_case_identifier camelCaseIdentifier PascalCase kebab-case",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ab".repeat(40), "\"quoted\" and 'single' and `back`",
                "(parenthesised) [bracketed] {braced} <angled>", "¿Qué? ¡Sí!", "ß ẞ ǅ ǈ", "\u0000nul and \u0007bell", "\u007fdel");
        out.addAll(hard);
        // Whitespace runs of every length and kind around words: where pre-tokenizers differ most.
        String[] ws = {" ", "  ", "   ", "\t", "\n", "\n\n", " \n", "\n ", "\r\n", "    "};
        for (String a : ws) for (String b : ws) out.add(a + "word" + b + "next");
        for (int n = 1; n <= 40; n++) out.add("x" + " ".repeat(n) + "y" + "\n".repeat(n % 5 + 1));
        return out;
    }

    /** Over 50 conversations from the LLaMA-Factory file (system turns, multi-turn) plus hand-made edge cases; the last message is the assistant's reply. */
    static List<List<ChatMessage>> conversations() throws IOException {
        List<List<ChatMessage>> out = new ArrayList<>();
        PreferenceReader.Data lf = PreferenceReader.read(TestData.require("preferences/llamafactory-dpo-en-demo.json"), null);
        int system = 0, multi = 0;
        // 20 rows with a system turn, 20 multi-turn rows, 15 more: 55 in all.
        List<PreferenceExample> picked = new ArrayList<>();
        for (PreferenceExample e : lf.examples()) {
            boolean hasSystem = e.promptMessages().getFirst().role().equals("system"), isMulti = e.promptMessages().size() > 2;
            if (hasSystem && system < 20 || !hasSystem && isMulti && multi < 20) {
                picked.add(e);
                if (hasSystem) system++;
                else multi++;
            }
        }
        for (PreferenceExample e : lf.examples()) if (picked.size() < 55 && !picked.contains(e)) picked.add(e);
        for (PreferenceExample e : picked) {
            List<ChatMessage> c = new ArrayList<>(e.promptMessages());
            c.add(ChatMessage.assistant(e.chosen()));
            out.add(c);
        }
        assertTrue(system > 0 && multi > 0, "system turns and multi-turn rows among the conversations");
        // (A reply with a leading space is left out: @huggingface/jinja 0.5.11's lstrip('\n') strips spaces too, unlike
        // Python; JinjaChatTemplateTest holds jdpo to Python's Jinja2 there.)
        out.add(List.of(ChatMessage.system("  Padded system.  "), ChatMessage.user("\u00a0nbsp user\u00a0"), ChatMessage.assistant("reply ")));
        out.add(List.of(ChatMessage.user("Think first."), ChatMessage.assistant("<think>\nstep one\n</think>\n\nThe answer.")));
        out.add(List.of(ChatMessage.user("a"), ChatMessage.assistant("b"), ChatMessage.user("c"), ChatMessage.assistant("d"),
                ChatMessage.user("e"), ChatMessage.assistant("f")));
        out.add(List.of(ChatMessage.user("two users"), ChatMessage.user("in a row"), ChatMessage.assistant("refused by Gemma's template")));
        out.add(List.of(ChatMessage.user("Unicode: 日本語 😀 \"quotes\" \\ backslash {{ not jinja }}"), ChatMessage.assistant("{% raw %}ok")));
        return out;
    }

    /** Runs the JavaScript peer on the strings and conversations (prompt with generation prompt, then the whole conversation). */
    private static JsonNode peer(RealTokenizer tokenizer, List<String> strings, List<List<ChatMessage>> conversations) throws Exception {
        Path cache = RealTokenizer.npmCache();
        List<Map<String, Object>> convs = new ArrayList<>();
        for (List<ChatMessage> c : conversations) {
            convs.add(request(c.subList(0, c.size() - 1), true));
            convs.add(request(c, false));
        }
        Path req = Files.createTempFile(models, "peer", ".json");
        JSON.writeValue(req.toFile(), Map.of("strings", strings, "conversations", convs));
        Path script = Path.of("src", "test", "js", "tokenizer-peer.cjs").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder("node", script.toString(),
                RealTokenizer.npmPackage("@lenml/tokenizers@3.7.2").resolve("dist/main.js").toString(),
                RealTokenizer.npmPackage("@huggingface/jinja@0.5.11").resolve("dist/index.cjs").toString(),
                tokenizer.modelsDir().toString(), req.toString()).redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            Assumptions.abort("node is not on PATH: " + e.getMessage());
            return null;
        }
        byte[] answer = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), "the JavaScript peer failed");
        return JSON.readTree(answer);
    }

    private static Map<String, Object> request(List<ChatMessage> msgs, boolean addGenerationPrompt) {
        List<Map<String, String>> m = new ArrayList<>();
        for (ChatMessage c : msgs) m.add(Map.of("role", c.role(), "content", c.content()));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("messages", m);
        r.put("addGenerationPrompt", addGenerationPrompt);
        return r;
    }

    private static int[] ids(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asInt();
        return out;
    }
}
