package io.jdpo.testing;

import io.jdpo.llama.ContextParams;
import io.jdpo.llama.FileType;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LogProbScorer;
import io.jdpo.llama.TokenLogProbs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** llama.cpp loads and runs every model the factory writes: each architecture, tied or not, F32 and quantized. */
class TestModelFactoryTest {
    @Test
    void llamaCppRunsEveryGeneratedModel(@TempDir Path dir) throws Exception {
        var base = new TestModelFactory.Shape(256, 2, 4, 2, 512, 256);
        for (TestModelFactory.Arch arch : TestModelFactory.Arch.values()) {
            for (boolean tied : new boolean[]{false, true}) {
                for (FileType type : new FileType[]{FileType.F32, FileType.Q8_0, FileType.Q4_K_M}) {
                    Path p = TestModelFactory.quantized(TestData.stories260K(), base.with(arch, tied), 7, type, dir);
                    try (LlamaModel m = LlamaModel.load(p);
                         LlamaContext ctx = LlamaContext.create(m, ContextParams.of(64).withThreads(2))) {
                        assertEquals(arch.name().toLowerCase(), m.architecture(), p.toString());
                        assertEquals(2, m.layerCount());
                        int[] prompt = m.tokenizer().tokenize("Once upon a time", true, false);
                        int[] comp = m.tokenizer().tokenize(" there was a dog", false, false);
                        TokenLogProbs lp = new LogProbScorer(ctx).score(prompt, comp);
                        for (float v : lp.logProbs()) {
                            assertTrue(Float.isFinite(v) && v <= 0, p.getFileName() + ": log-prob " + v);
                        }
                    }
                }
            }
        }
    }
}
