package io.jdpo.data;

import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.Tokenizer;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;

/** TRL's unpaired format (KTO), plain and conversational, gzip or not; paired data split; bad rows named; the KL partners. */
class UnpairedDataTest {
    @TempDir
    Path dir;

    @Test
    void trlUnpairedTextAndConversationalFromGzippedJsonlAndJson() throws IOException {
        Path text = gz("kto.jsonl.gz", """
                {"prompt": "The sky is", "completion": " blue.", "label": true}
                {"prompt": "The sky is", "completion": " green.", "label": false}

                {"prompt": "Two plus two is", "completion": "", "label": true}
                """);
        UnpairedReader.Data d = UnpairedReader.read(text, null);
        assertEquals("unpaired", d.format());
        assertEquals(2, d.examples().size());
        assertEquals(3, d.counts().get("read"));
        assertEquals(1, d.counts().get("skipped_empty"));
        assertEquals(1, d.counts().get("desirable"));
        UnpairedExample first = d.examples().getFirst();
        assertEquals("kto.jsonl.gz:1:1", first.origin());
        assertEquals("The sky is", first.promptText());
        assertEquals(" blue.", first.completion());
        assertTrue(first.desirable());
        assertFalse(d.examples().get(1).desirable());

        Path chat = write("kto.json", """
                [{"prompt": [{"role": "user", "content": "Hi"}], "completion": [{"role": "assistant", "content": "Hello!"}], "label": true},
                 {"prompt": [{"role": "user", "content": "Hi"}], "completion": {"role": "assistant", "content": "Go away."}, "label": false}]
                """);
        d = UnpairedReader.read(chat, null);
        assertEquals(2, d.examples().size());
        assertEquals("user", d.examples().getFirst().promptMessages().getFirst().role());
        assertEquals("Hello!", d.examples().getFirst().completion());
        assertEquals("Go away.", d.examples().get(1).completion());
        assertEquals("kto.json:2:2", d.examples().get(1).origin());
    }

    @Test
    void pairedDataIsSplitIntoDesirableAndUndesirable() throws IOException {
        UnpairedReader.Data d = UnpairedReader.read(TestData.require("preferences/hh-rlhf-harmless-base-test.jsonl.gz"), null);
        PreferenceReader.Data paired = PreferenceReader.read(TestData.require("preferences/hh-rlhf-harmless-base-test.jsonl.gz"), null);
        assertEquals("implicit pairs split", d.format());
        assertEquals(2 * paired.examples().size(), d.examples().size());
        assertEquals(paired.examples().getFirst().chosen(), d.examples().get(0).completion());
        assertTrue(d.examples().get(0).desirable());
        assertEquals(paired.examples().getFirst().rejected(), d.examples().get(1).completion());
        assertFalse(d.examples().get(1).desirable());
        assertEquals(d.examples().get(0).promptText(), d.examples().get(1).promptText());
    }

    @Test
    void badRowsNameFileLineColumnAndField() throws IOException {
        Path broken = write("broken.jsonl", "{\"prompt\": \"a\", \"completion\": \"b\", \"label\": true}\n{\"prompt\": \"a\", \"completion\": \"b\" \"label\": true}\n");
        DataException e = assertThrows(DataException.class, () -> UnpairedReader.read(broken, null));
        assertTrue(e.getMessage().matches(".*broken\\.jsonl:2:\\d+: malformed JSON.*"), e.getMessage());

        Path missing = write("missing.jsonl", "{\"prompt\": \"a\", \"completion\": \"b\", \"label\": true}\n{\"prompt\": \"a\", \"completion\": \"b\"}\n");
        e = assertThrows(DataException.class, () -> UnpairedReader.read(missing, null));
        assertEquals("missing.jsonl:2:1: missing field 'label'", e.getMessage());

        Path label = write("label.jsonl", "{\"prompt\": \"a\", \"completion\": \"b\", \"label\": \"yes\"}\n");
        e = assertThrows(DataException.class, () -> UnpairedReader.read(label, null));
        assertEquals("label.jsonl:1:1: field 'label' must be true or false, found string", e.getMessage());

        Path mixed = write("mixed.jsonl", "{\"prompt\": \"a\", \"completion\": [{\"role\": \"assistant\", \"content\": \"b\"}], \"label\": true}\n");
        e = assertThrows(DataException.class, () -> UnpairedReader.read(mixed, null));
        assertEquals("mixed.jsonl:1:1: field 'completion' must be a string when the prompt is one, found array", e.getMessage());

        Path role = write("role.jsonl", "{\"prompt\": [{\"role\": \"user\"}], \"completion\": \"b\", \"label\": false}\n");
        e = assertThrows(DataException.class, () -> UnpairedReader.read(role, null));
        assertEquals("role.jsonl:1:1: missing field 'prompt[0].content'", e.getMessage());

        Path utf = dir.resolve("utf.jsonl");
        try (OutputStream out = Files.newOutputStream(utf)) {
            out.write("{\"prompt\": \"a\", \"completion\": \"b\", \"label\": true}\n".getBytes(StandardCharsets.UTF_8));
            out.write("{\"prompt\": \"a\", \"completion\": \"b\u00ff\", \"label\": true}\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        e = assertThrows(DataException.class, () -> UnpairedReader.read(utf, null));
        assertTrue(e.getMessage().contains("utf.jsonl:2:") && e.getMessage().contains("invalid UTF-8"), e.getMessage());
    }

    /** Every example's KL completion is another example's completion after a different prompt. */
    @Test
    void klCompletionsComeFromOtherPrompts() throws IOException {
        Path f = write("split.jsonl", """
                {"prompt": "Once upon a time, Lily", "chosen": " saw a dog.", "rejected": " saw a tree."}
                {"prompt": "Once upon a time, Tom", "chosen": " met a dog.", "rejected": " found a box."}
                {"prompt": "Once upon a time, Mia", "chosen": " hugged a dog.", "rejected": " sat down."}
                """);
        List<UnpairedExample> ex = UnpairedReader.read(f, null).examples();
        try (LlamaModel m = LlamaModel.load(TestData.stories260K())) {
            Tokenizer tok = m.tokenizer();
            List<UnpairedSample> s = new UnpairedEncoder(new PairEncoder(tok, null)).encode(ex, new RowFindings(false));
            assertEquals(6, s.size());
            for (int i = 0; i < s.size(); i++) {
                UnpairedSample a = s.get(i);
                assertEquals(ex.get(i).desirable(), a.desirable());
                int owner = -1;
                for (int j = 0; j < s.size(); j++) if (Arrays.equals(s.get(j).completion(), a.klCompletion())) owner = j;
                assertTrue(owner >= 0, "the KL completion is some example's completion");
                assertFalse(Arrays.equals(s.get(owner).prompt(), a.prompt()), "example " + i + " draws its KL completion from another prompt");
            }
            // Example 2 (Tom, chosen): the nearest earlier example with another prompt is 1 (Lily, rejected).
            assertArrayEquals(s.get(1).completion(), s.get(2).klCompletion());
            assertArrayEquals(s.get(5).completion(), s.get(0).klCompletion(), "cyclic");
            assertThrows(DataException.class, () -> new UnpairedEncoder(new PairEncoder(tok, null)).encode(ex.subList(0, 1), new RowFindings(false)));
        }
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
