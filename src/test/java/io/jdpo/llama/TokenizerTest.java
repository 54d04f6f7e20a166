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
}
