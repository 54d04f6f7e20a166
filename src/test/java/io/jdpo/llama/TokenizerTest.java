package io.jdpo.llama;

import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Tokenizer, special tokens, metadata and chat templates through llama.cpp. */
class TokenizerTest {

    @Test
    void tokenizeDetokenizeAndSpecialTokens() {
        try (LlamaModel m = LlamaModel.load(TestData.stories260K())) {
            Tokenizer t = m.tokenizer();
            assertEquals(512, t.vocabularySize());
            assertEquals(1, t.bos());
            assertEquals(2, t.eos());
            assertTrue(t.isEndOfGeneration(t.eos()));
            assertFalse(t.isEndOfGeneration(t.bos()));
            assertTrue(t.addsBos());
            int[] with = t.tokenize("Once upon a time", true, false);
            int[] without = t.tokenize("Once upon a time", false, false);
            assertEquals(t.bos(), with[0]);
            assertEquals(without.length + 1, with.length);
            assertEquals("Once upon a time", t.detokenize(without));
            assertEquals("Once upon a time", t.detokenize(with, true, false).strip());
            StringBuilder pieces = new StringBuilder();
            for (int id : without) pieces.append(t.piece(id));
            // Pieces keep SentencePiece's space before the first word ("▁Once"); detokenize drops it.
            assertEquals(" " + t.detokenize(without), pieces.toString());
        }
    }

    @Test
    void largeVocabularyAndMetadata() {
        try (LlamaModel m = LlamaModel.load(TestData.tinyRandomLlama2())) {
            assertEquals(32000, m.tokenizer().vocabularySize());
            assertEquals("llama", m.architecture());
            assertEquals("llama", m.metadata().get("general.architecture"));
            assertTrue(m.metadata("no.such.key").isEmpty());
            String text = "Héllo wörld — 日本語 ✓";
            int[] ids = m.tokenizer().tokenize(text, false, false);
            assertEquals(text, m.tokenizer().detokenize(ids).strip());
        }
    }

    @Test
    void chatTemplatesBuiltInAndMissing() {
        List<String> names = ChatTemplate.builtinNames();
        assertTrue(names.contains("chatml") && names.contains("llama3"), names.toString());
        String prompt = ChatTemplate.named("chatml").apply(
                List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi")), true);
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", prompt);
        try (LlamaModel m = LlamaModel.load(TestData.stories260K())) {
            LlamaException e = assertThrows(LlamaException.class, () -> ChatTemplate.of(m));
            assertTrue(e.getMessage().contains("no chat template"), e.getMessage());
        }
        assertThrows(LlamaException.class, () -> ChatTemplate.named("no-such-template").apply(List.of(ChatMessage.user("x")), true));
    }

    @Test
    void aCompletionIsCutFromTheWholeTextNotTokenizedAlone() {
        try (LlamaModel m = LlamaModel.load(TestData.stories260K())) {
            Tokenizer t = m.tokenizer();
            String prompt = "Q: 2+2?\nA:";
            int[] whole = t.tokenize(prompt + " 4", true, false), p = t.tokenize(prompt, true, false);
            int[] cont = t.continuation(prompt, " 4");
            assertArrayEquals(java.util.Arrays.copyOfRange(whole, p.length, whole.length), cont);
            StringBuilder text = new StringBuilder();
            for (int tok : cont) text.append(t.piece(tok));
            assertEquals(" 4", text.toString());
            // Alone, SentencePiece's added leading space makes " 4" start with a lone space token.
            int[] alone = t.tokenize(" 4", false, false);
            assertFalse(java.util.Arrays.equals(alone, cont), "alone " + java.util.Arrays.toString(alone));
            assertEquals("▁", t.tokenText(alone[0]), "the lone space token");
        }
    }
}
