package io.jdpo.llama;

import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Mistakes a user makes get a Java exception with a clear message, never a JVM crash. */
class BadInputTest {

    @Test
    void missingFile(@TempDir Path dir) {
        Path missing = dir.resolve("nope.gguf");
        LlamaException e = assertThrows(LlamaException.class, () -> LlamaModel.load(missing));
        assertTrue(e.getMessage().contains("not found") && e.getMessage().contains("nope.gguf"), e.getMessage());
    }

    @Test
    void notAGgufFile(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("model.gguf"), "this is not a model");
        LlamaException e = assertThrows(LlamaException.class, () -> LlamaModel.load(text));
        assertTrue(e.getMessage().contains("bad magic"), e.getMessage());
    }

    @Test
    void truncatedGgufFile(@TempDir Path dir) throws Exception {
        byte[] all = Files.readAllBytes(TestData.stories260K());
        for (int keep : new int[]{16, 4096, all.length / 2, all.length - 100}) {
            Path cut = dir.resolve("cut-" + keep + ".gguf");
            Files.write(cut, java.util.Arrays.copyOf(all, keep));
            LlamaException e = assertThrows(LlamaException.class, () -> LlamaModel.load(cut), "kept " + keep + " bytes");
            assertTrue(e.getMessage().contains(cut.getFileName().toString()), e.getMessage());
            // llama.cpp's own reason, which it only logs, is in the message.
            assertTrue(e.getMessage().contains("error loading model"), e.getMessage());
        }
    }

    @Test
    void tokenIdsOutsideTheVocabularyAreRefusedNotPassedToLlamaCpp() {
        // llama.cpp's detokenizer reads ids through a bounds-checked lookup that throws a C++
        // exception: unchecked, that aborts the JVM.
        try (LlamaModel m = LlamaModel.load(TestData.stories260K())) {
            Tokenizer t = m.tokenizer();
            int n = t.vocabularySize();
            for (int bad : new int[]{n, -1, Integer.MAX_VALUE}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.detokenize(new int[]{1, bad}));
                assertTrue(e.getMessage().contains("token id " + bad + " outside the vocabulary"), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> t.piece(bad));
                assertThrows(IllegalArgumentException.class, () -> t.isControl(bad));
            }
            assertFalse(t.isEndOfGeneration(n), "a set lookup in llama.cpp: no check needed");
            assertEquals("Once", t.detokenize(t.tokenize("Once", false, false)));
        }
    }

    @Test
    void rowsThatAreNotWholeBlocksAreRefusedBeforeGgmlSeesThem() {
        // ggml asserts whole blocks (an abort of the process) or reads past the row.
        int q80 = RowQuantizer.typeId("q8_0");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RowQuantizer.fromFloatRef(q80, new float[33]));
        assertTrue(e.getMessage().contains("33 values are not whole blocks of q8_0 (32 values each)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RowQuantizer.rowSize(q80, 31));
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            var src = arena.allocate(RowQuantizer.rowSize(q80, 32) - 1);
            var dst = arena.allocate(32 * Float.BYTES);
            assertThrows(IllegalArgumentException.class, () -> RowQuantizer.toFloat(q80, src, dst, 32), "a source one byte short");
        }
        assertEquals(34, RowQuantizer.fromFloatRef(q80, new float[32]).length, "a whole block still works");
    }

    @Test
    void contextLongerThanTheModelAllows() {
        try (LlamaModel m = LlamaModel.load(TestData.stories260K())) {
            LlamaException e = assertThrows(LlamaException.class,
                    () -> LlamaContext.create(m, ContextParams.of(m.trainingContextLength() * 2)));
            assertTrue(e.getMessage().contains("longer than model"), e.getMessage());
        }
    }

    @Test
    void decodingPastTheContext() {
        try (LlamaModel m = LlamaModel.load(TestData.stories260K());
             LlamaContext ctx = LlamaContext.create(m, ContextParams.of(16).withThreads(2));
             Batch b = new Batch(16, 1)) {
            for (int i = 0; i < 16; i++) b.add(1 + i, i, false, 0);
            ctx.decode(b);
            b.clear();
            b.add(5, 16, true, 0);
            LlamaException e = assertThrows(LlamaException.class, () -> ctx.decode(b));
            assertTrue(e.getMessage().contains("past the context"), e.getMessage());
            // The context is still usable afterwards.
            ctx.clearMemory();
            b.clear();
            b.add(1, 0, true, 0);
            ctx.decode(b);
            assertEquals(m.tokenizer().vocabularySize(), ctx.logits(0).length);
        }
    }

    @Test
    void generationStopsWhenTheContextIsFull() {
        try (LlamaModel m = LlamaModel.load(TestData.stories260K());
             LlamaContext ctx = LlamaContext.create(m, ContextParams.of(24).withThreads(2))) {
            GenerationResult r = new Generator(ctx).generate("Once upon a time", GenerationOptions.greedy(100));
            assertEquals(GenerationResult.StopReason.CONTEXT_FULL, r.stopReason());
        }
    }

    @Test
    void badTokensAndSequences() {
        try (LlamaModel m = LlamaModel.load(TestData.stories260K());
             LlamaContext ctx = LlamaContext.create(m, ContextParams.of(32).withThreads(2));
             Batch b = new Batch(4, 1)) {
            b.add(100_000, 0, true, 0);
            assertThrows(IllegalArgumentException.class, () -> ctx.decode(b));
            b.clear();
            b.add(1, 0, true, 3);
            assertThrows(IllegalArgumentException.class, () -> ctx.decode(b));
            assertThrows(IllegalArgumentException.class, () -> m.tokenizer().piece(-1));
            LlamaException e = assertThrows(LlamaException.class, () -> ctx.logits(0));
            assertTrue(e.getMessage().contains("no logits"), e.getMessage());
        }
    }

    @Test
    void useAfterClose() {
        LlamaModel m = LlamaModel.load(TestData.stories260K());
        LlamaContext ctx = LlamaContext.create(m, ContextParams.of(32).withThreads(2));
        Tokenizer tok = m.tokenizer();
        m.close();
        assertThrows(IllegalStateException.class, () -> tok.tokenize("hello"));
        assertThrows(IllegalStateException.class, m::description);
        // Closing the model closed its context too.
        assertThrows(IllegalStateException.class, ctx::contextLength);
        ctx.close();
        m.close();
        Batch b = new Batch(2, 1);
        b.close();
        assertThrows(IllegalStateException.class, () -> b.add(1, 0, true, 0));
    }
}
