package io.jdpo.data;

import io.jdpo.llama.LlamaModel;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;

/** Every preference format, on the shared real files where they exist and small fixtures for the rest, plus bad data. */
class PreferenceDataTest {
    @TempDir
    Path dir;

    @Test
    void hhRlhfImplicitPromptFromGzippedJsonl() throws IOException {
        PreferenceReader.Data d = PreferenceReader.read(TestData.require("preferences/hh-rlhf-harmless-base-test.jsonl.gz"), null);
        assertEquals(PreferenceFormat.IMPLICIT, d.format());
        assertEquals(2312, d.counts().get("read"));
        assertEquals(d.counts().get("read"), d.counts().get("kept") + d.counts().get("skipped_empty") + d.counts().get("skipped_identical"));
        PreferenceExample e = d.examples().getFirst();
        assertTrue(e.promptText().startsWith("\n\nHuman: what are some pranks with a pen"), e.promptText());
        assertTrue(e.promptText().endsWith("\n\nAssistant:"), e.promptText());
        assertFalse(e.chosen().contains("\n\nAssistant:"), "the reply is only the last assistant turn");
        System.out.println("hh-rlhf counts " + d.counts());
    }

    @Test
    void llamaFactoryShareGptWithSystemTurns() throws IOException {
        PreferenceReader.Data d = PreferenceReader.read(TestData.require("preferences/llamafactory-dpo-en-demo.json"), null);
        assertEquals(PreferenceFormat.SHAREGPT, d.format());
        assertEquals(300, d.counts().get("read"));
        assertTrue(d.examples().stream().anyMatch(e -> e.promptMessages().getFirst().role().equals("system")));
        assertTrue(d.examples().stream().anyMatch(e -> e.promptMessages().size() > 2), "multi-turn rows");
        assertTrue(d.examples().stream().allMatch(e -> e.promptMessages().getLast().role().equals("user")));
        // Rendered with a built-in template on the 32000-token Llama-2 vocabulary: the lint passes and replies end with EOS.
        try (LlamaModel m = LlamaModel.load(TestData.tinyRandomLlama2())) {
            PairEncoder enc = new PairEncoder(m.tokenizer(), new BuiltinChatTemplate("vicuna"));
            RowFindings vicuna = new RowFindings(false);
            for (PreferenceExample e : d.examples()) {
                PreferencePair p = enc.encode(e, vicuna);
                assertEquals(m.tokenizer().bos(), p.prompt()[0]);
                assertNotEquals(m.tokenizer().bos(), p.prompt()[1], "one BOS");
                assertTrue(java.util.Arrays.stream(p.chosen()).anyMatch(t -> t == m.tokenizer().eos()), "reply closed by </s>");
            }
            assertEquals(0, vicuna.rowsTouched(), vicuna.summary());
            // llama.cpp's "llama2" template puts the reply right after "[/INST]": where a reply starts with "(",
            // SentencePiece merges "](" across the boundary. That row's completion is tokenized on its own and
            // counted; in strict mode the same row stops the run, named.
            PairEncoder llama2 = new PairEncoder(m.tokenizer(), new BuiltinChatTemplate("llama2"));
            RowFindings f = new RowFindings(false);
            List<PreferencePair> pairs = llama2.encodeAll(d.examples(), f);
            System.out.println("llama2 on LLaMA-Factory: " + pairs.size() + " pairs; " + f.summary());
            assertEquals(d.examples().size(), pairs.size(), "no row lost");
            int first = f.firstRows(RowFindings.Kind.BOUNDARY_RETOKENIZED).getFirst();
            PreferenceExample moved = d.examples().stream().filter(e -> e.row() == first).findFirst().orElseThrow();
            assertTrue(moved.origin().equals("llamafactory-dpo-en-demo.json:206"), moved.origin());
            for (PreferencePair p : pairs) assertEquals(m.tokenizer().eos(), p.chosen()[p.chosen().length - 1], "replies closed by </s>");
            DataException e = assertThrows(DataException.class, () -> llama2.encodeAll(d.examples(), new RowFindings(true)));
            assertTrue(e.getMessage().startsWith("row " + first + " (llamafactory-dpo-en-demo.json:206): completion tokenized on its own"), e.getMessage());
        }
    }

    @Test
    void trlStandardConversationalAndOpenAiFixtures() throws IOException {
        Path std = write("std.jsonl", """
                {"prompt": "The sky is", "chosen": " blue.", "rejected": " green."}
                {"prompt": "Water is", "chosen": " wet.", "rejected": " wet."}
                {"prompt": "Fire is", "chosen": "", "rejected": " cold."}
                """);
        PreferenceReader.Data d = PreferenceReader.read(std, null);
        assertEquals(PreferenceFormat.STANDARD, d.format());
        assertEquals(1, d.examples().size());
        assertEquals(1, d.counts().get("skipped_identical"));
        assertEquals(1, d.counts().get("skipped_empty"));

        Path conv = write("conv.json", """
                [{"prompt": [{"role": "user", "content": "Hi"}],
                  "chosen": [{"role": "assistant", "content": "Hello!"}],
                  "rejected": [{"role": "assistant", "content": "Go away."}]}]
                """);
        PreferenceExample c = PreferenceReader.read(conv, null).examples().getFirst();
        assertEquals("Hi", c.promptMessages().getFirst().content());
        assertEquals("Hello!", c.chosen());

        Path openai = gz("openai.jsonl.gz", """
                {"input": {"messages": [{"role": "user", "content": "2+2?"}]}, "preferred_output": [{"role": "assistant", "content": "4"}], "non_preferred_output": [{"role": "assistant", "content": "5"}]}
                """);
        PreferenceReader.Data o = PreferenceReader.read(openai, null);
        assertEquals(PreferenceFormat.OPENAI, o.format());
        assertEquals("5", o.examples().getFirst().rejected());

        Path implicitChat = write("implicit.jsonl", """
                {"chosen": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}], "rejected": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "No"}]}
                """);
        PreferenceExample ic = PreferenceReader.read(implicitChat, null).examples().getFirst();
        assertEquals(1, ic.promptMessages().size());
        assertEquals("No", ic.rejected());
        // --format forces a layout: standard rows read as implicit lack nothing but give a different prompt split.
        assertThrows(DataException.class, () -> PreferenceReader.read(std, PreferenceFormat.SHAREGPT));
    }

    @Test
    void badDataNamesFileLineColumnAndField() throws IOException {
        Path broken = write("broken.jsonl", "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n{\"prompt\": \"a\", \"chosen\": \"b\" \"rejected\": \"c\"}\n");
        DataException e = assertThrows(DataException.class, () -> PreferenceReader.read(broken, null));
        assertTrue(e.getMessage().matches(".*broken\\.jsonl:2:\\d+: malformed JSON.*"), e.getMessage());

        Path missing = write("missing.jsonl", "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n{\"prompt\": \"a\", \"chosen\": \"b\"}\n");
        e = assertThrows(DataException.class, () -> PreferenceReader.read(missing, null));
        assertEquals("missing.jsonl:2: missing field 'rejected'", e.getMessage());

        Path typed = write("typed.jsonl", "{\"prompt\": \"a\", \"chosen\": 3, \"rejected\": \"c\"}\n");
        e = assertThrows(DataException.class, () -> PreferenceReader.read(typed, null));
        assertEquals("typed.jsonl:1: field 'chosen' must be a string, found number", e.getMessage());

        Path share = write("share.json", "[{\"conversations\": [{\"from\": \"robot\", \"value\": \"x\"}], \"chosen\": {\"from\": \"gpt\", \"value\": \"a\"}, \"rejected\": {\"from\": \"gpt\", \"value\": \"b\"}}]");
        e = assertThrows(DataException.class, () -> PreferenceReader.read(share, null));
        assertTrue(e.getMessage().contains("share.json:1: field 'conversations[0].from' is 'robot'"), e.getMessage());

        Path utf = dir.resolve("utf.jsonl");
        byte[] good = "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] bad = "{\"prompt\": \"a\", \"chosen\": \"b\u00ff\", \"rejected\": \"c\"}\n".getBytes(StandardCharsets.ISO_8859_1);
        try (OutputStream out = Files.newOutputStream(utf)) {
            out.write(good);
            out.write(bad);
        }
        e = assertThrows(DataException.class, () -> PreferenceReader.read(utf, null));
        assertTrue(e.getMessage().contains("utf.jsonl:2:") && e.getMessage().contains("invalid UTF-8"), e.getMessage());

        Path unknown = write("unknown.jsonl", "{\"question\": \"a\", \"answer\": \"b\"}\n");
        e = assertThrows(DataException.class, () -> PreferenceReader.read(unknown, null));
        assertTrue(e.getMessage().startsWith("unknown.jsonl:1: cannot tell the format from fields [question, answer]"), e.getMessage());
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private Path gz(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return p;
    }
}
