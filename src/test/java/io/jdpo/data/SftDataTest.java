package io.jdpo.data;

import io.jdpo.llama.ChatMessage;
import io.jdpo.llama.LlamaModel;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * TRL's SFT dataset formats (prompt-completion, conversational prompt-completion, messages,
 * text) and preference data read as its chosen completions; SFT samples tokenize exactly as a
 * preference pair's prompt and chosen completion do.
 */
class SftDataTest {
    @TempDir
    Path dir;

    @Test
    void trlPromptCompletionTextAndConversational() throws IOException {
        SftReader.Data d = SftReader.read(write("pc.jsonl", """
                {"prompt": "The sky is", "completion": " blue."}
                {"prompt": "Two plus two is", "completion": ""}
                {"prompt": [{"role": "user", "content": "Hi"}], "completion": [{"role": "assistant", "content": "Hello!"}]}
                """), null, new RowFindings(false));
        assertEquals("prompt_completion", d.format());
        assertEquals(2, d.examples().size());
        assertEquals(1, d.counts().get("skipped_empty"));
        PreferenceExample first = d.examples().getFirst();
        assertEquals("The sky is", first.promptText());
        assertEquals(" blue.", first.chosen());
        assertNull(first.rejected());
        assertEquals("pc.jsonl:1:1", first.origin());
        assertEquals(List.of(ChatMessage.user("Hi")), d.examples().get(1).promptMessages());
        assertEquals("Hello!", d.examples().get(1).chosen());
        assertEquals(3, d.examples().get(1).row());
    }

    @Test
    void messagesLearnTheLastAssistantTurnAndTextIsAllCompletion() throws IOException {
        SftReader.Data d = SftReader.read(write("msg.json", """
                [{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                               {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Name a colour"},
                               {"role": "assistant", "content": "Blue."}]}]
                """), null, new RowFindings(false));
        assertEquals("messages", d.format());
        PreferenceExample e = d.examples().getFirst();
        assertEquals(4, e.promptMessages().size(), "earlier turns, the first reply included, are the prompt");
        assertEquals("Name a colour", e.promptMessages().getLast().content());
        assertEquals("Blue.", e.chosen());

        DataException bad = assertThrows(DataException.class, () -> SftReader.read(write("noreply.jsonl",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}\n"), null, new RowFindings(false)));
        assertEquals("noreply.jsonl:1:1: field 'messages' holds no assistant message to learn", bad.getMessage());

        SftReader.Data t = SftReader.read(write("lm.jsonl", "{\"text\": \"Once upon a time.\"}\n"), null, new RowFindings(false));
        assertEquals("text", t.format());
        assertEquals("", t.examples().getFirst().promptText());
        assertEquals("Once upon a time.", t.examples().getFirst().chosen());
    }

    @Test
    void labelledRowsKeepTheDesirableOnesAndPreferenceDataGivesItsChosen() throws IOException {
        SftReader.Data kto = SftReader.read(write("kto.jsonl", """
                {"prompt": "The sky is", "completion": " blue.", "label": true}
                {"prompt": "The sky is", "completion": " green.", "label": false}
                """), null, new RowFindings(false));
        assertEquals(1, kto.examples().size());
        assertEquals(1, kto.counts().get("skipped_undesirable"));
        assertEquals(" blue.", kto.examples().getFirst().chosen());

        SftReader.Data prefs = SftReader.read(write("prefs.jsonl", """
                {"prompt": "The sky is", "chosen": " blue.", "rejected": " green."}
                {"prompt": "Grass is", "chosen": " green.", "rejected": " green."}
                """), null, new RowFindings(false));
        assertEquals("standard chosen", prefs.format());
        assertEquals(1, prefs.examples().size(), "identical pairs are skipped as the preference reader skips them");
        assertEquals(" blue.", prefs.examples().getFirst().chosen());

        DataException e = assertThrows(DataException.class, () -> SftReader.read(write("typo.jsonl",
                "{\"prompt\": \"a\", \"completion\": 3}\n"), null, new RowFindings(false)));
        assertTrue(e.getMessage().startsWith("typo.jsonl:1:1: field 'completion' must be a string"), e.getMessage());
    }

    /** An SFT sample is the prompt and chosen completion its preference pair would have: one rendering, one set of repairs. */
    @Test
    void samplesTokenizeAsThePairsChosenSide() throws IOException {
        List<ChatMessage> prompt = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Name a colour"));
        PreferenceExample chat = PreferenceExample.chat("x", prompt, "Blue.", "I will not.");
        PreferenceExample text = PreferenceExample.text("y", "Once upon a time", " there was a dog.", " there was a rock.");
        try (LlamaModel m = LlamaModel.load(TestData.tinyRandomLlama2())) {
            PairEncoder enc = new PairEncoder(m.tokenizer(), new BuiltinChatTemplate("vicuna"));
            for (PreferenceExample e : List.of(chat, text)) {
                PreferencePair p = enc.encode(e, new RowFindings(true));
                SftSample s = enc.encodeChosen(PreferenceExample.completion(e.origin(), e.promptMessages(), e.promptText(), e.chosen(), 0),
                        new RowFindings(true));
                assertArrayEquals(p.prompt(), s.prompt());
                assertArrayEquals(p.chosen(), s.completion());
                assertTrue(java.util.Arrays.stream(s.completion()).anyMatch(t -> t == m.tokenizer().eos()), "closed by </s>");
                assertArrayEquals(s.sequence(), PreferencePair.join(p.prompt(), p.chosen()));
            }
        }
    }

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }
}
