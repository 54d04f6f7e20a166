package io.jdpo.demo;

import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.ModelParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The pieces the demo model is built from: corpus, vocabulary and a fresh Llama that llama.cpp loads and tokenizes with. */
class DemoModelPartsTest {
    @Test
    void llamaCppTokenizesTheCorpusIntoWordsAndBack(@TempDir Path dir) throws Exception {
        List<String> corpus = DemoCorpus.stories(200, 3);
        assertEquals(corpus, DemoCorpus.stories(200, 3), "the corpus is a function of the seed");
        SpmVocabulary vocab = SpmVocabulary.build(corpus);
        Path model = dir.resolve("init.gguf");
        LlamaInit.write(model, new LlamaInit.Shape(32, 1, 4, 4, 64, 64), vocab, "test", 1);
        byte[] first = Files.readAllBytes(model);
        LlamaInit.write(model, new LlamaInit.Shape(32, 1, 4, 4, 64, 64), vocab, "test", 1);
        assertArrayEquals(first, Files.readAllBytes(model), "the same seed writes the same file");
        try (LlamaModel m = LlamaModel.load(model, ModelParams.defaults().withVocabOnly(true))) {
            String s = corpus.getFirst();
            int[] ids = m.tokenizer().tokenize(s, true, false);
            assertEquals(SpmVocabulary.BOS, ids[0]);
            assertEquals(s, m.tokenizer().detokenize(ids, true, false).strip(), "round trip");
            int words = s.split(" ").length;
            // Whole words become single tokens, punctuation its own: about one token per word plus marks.
            assertTrue(ids.length <= words + 20, ids.length + " tokens for " + words + " words");
            assertEquals("\u2581Once", m.tokenizer().tokenText(ids[1]));
        }
        try (FullParameterModel fm = FullParameterModel.load(model, 1)) {
            assertEquals(1 + 1 + 9, fm.parameters().size(), "embedding (tied: also the output), output norm, nine tensors per block");
        }
    }

    @Test
    void theBundledPreferenceSetIsTheGeneratorsOutput() throws Exception {
        String committed = Files.readString(Path.of("models/demo-prefs.jsonl"));
        assertEquals(io.jdpo.demo.DemoPreferences.jsonl(io.jdpo.demo.DemoPreferences.generate(
                io.jdpo.demo.DemoPreferences.PAIRS, io.jdpo.demo.DemoPreferences.SEED)), committed,
                "models/demo-prefs.jsonl is rewritten by models/build-demo-model.sh --prefs-only");
        var data = io.jdpo.data.PreferenceReader.read(Path.of("models/demo-prefs.jsonl"), null);
        assertEquals(96, data.examples().size());
        assertTrue(data.examples().stream().allMatch(e -> e.chosen().contains("dog") && !e.rejected().contains("dog")));
    }
}
