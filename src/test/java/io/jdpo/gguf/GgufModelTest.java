package io.jdpo.gguf;

import io.jdpo.llama.ContextParams;
import io.jdpo.llama.FileType;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LogProbScorer;
import io.jdpo.llama.ScoreRequest;
import io.jdpo.llama.TokenLogProbs;
import io.jdpo.testing.TestData;
import io.jdpo.testing.TestModelFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Split models, and round trips of generated models of every type that llama.cpp then runs identically. */
class GgufModelTest {

    static List<TokenLogProbs> score(Path model) {
        try (LlamaModel m = LlamaModel.load(model);
             LlamaContext ctx = LlamaContext.create(m, ContextParams.of(128).withThreads(2))) {
            int[] p = m.tokenizer().tokenize("Once upon a time, there was a cat.", true, false);
            int[] c = m.tokenizer().tokenize(" The cat was very happy and played all day.", false, false);
            return new LogProbScorer(ctx).score(List.of(ScoreRequest.of(p, c))).getFirst();
        }
    }

    @Test
    void splitModelOpensAsOneAndLlamaCppAgrees(@TempDir Path dir) throws Exception {
        Path src = TestData.stories260K();
        Path s1 = dir.resolve("stories-00001-of-00002.gguf"), s2 = dir.resolve("stories-00002-of-00002.gguf");
        try (GgufFile g = GgufFile.open(src)) {
            List<GgufTensorInfo> all = g.tensors();
            int half = all.size() / 2;
            GgufWriter w1 = new GgufWriter().putAll(g.metadata());
            w1.put("split.no", GgufValue.u16(0)).put("split.count", GgufValue.u16(2))
                    .put("split.tensors.count", GgufValue.i32(all.size()));
            GgufWriter w2 = new GgufWriter().put("split.no", GgufValue.u16(1)).put("split.count", GgufValue.u16(2))
                    .put("split.tensors.count", GgufValue.i32(all.size()));
            for (int i = 0; i < all.size(); i++) {
                GgufTensorInfo t = all.get(i);
                (i < half ? w1 : w2).addTensor(t.name(), t.type(), t.ne(), g.data(t));
            }
            w1.write(s1);
            w2.write(s2);
        }
        try (GgufModel whole = GgufModel.open(src); GgufModel split = GgufModel.open(s2)) {
            assertEquals(List.of(s1, s2), split.paths());
            assertEquals(whole.tensors().size(), split.tensors().size());
            for (GgufTensorInfo t : whole.tensors()) {
                assertArrayEquals(whole.data(t).toArray(ValueLayout.JAVA_BYTE),
                        split.data(split.tensor(t.name())).toArray(ValueLayout.JAVA_BYTE), t.name());
            }
        }
        assertArrayEquals(score(src).getFirst().logProbs(), score(s1).getFirst().logProbs(), "llama.cpp reads the split model identically");
        java.nio.file.Files.delete(s2);
        var e = assertThrows(java.io.IOException.class, () -> GgufModel.open(s1));
        assertTrue(e.getMessage().contains("stories-00002-of-00002.gguf"), e.getMessage());
    }

    @Test
    void generatedModelsOfEveryTypeRoundTripAndRunIdentically(@TempDir Path dir) throws Exception {
        var shape = new TestModelFactory.Shape(256, 1, 4, 2, 256, 256);
        for (FileType type : new FileType[]{FileType.F32, FileType.F16, FileType.BF16, FileType.Q4_0, FileType.Q4_1,
                FileType.Q5_0, FileType.Q5_1, FileType.Q8_0, FileType.Q2_K, FileType.Q3_K_M, FileType.Q4_K_M,
                FileType.Q5_K_M, FileType.Q6_K, FileType.IQ4_NL, FileType.IQ4_XS}) {
            Path in = TestModelFactory.quantized(TestData.stories260K(), shape, 5, type, dir);
            Path out = dir.resolve("copy-" + type + ".gguf");
            GgufRoundTripTest.copy(in, out);
            try (GgufFile a = GgufFile.open(in); GgufFile b = GgufFile.open(out)) {
                assertEquals(a.metadata(), b.metadata(), type + " metadata");
                for (GgufTensorInfo t : a.tensors()) {
                    assertArrayEquals(a.data(t).toArray(ValueLayout.JAVA_BYTE),
                            b.data(b.tensor(t.name())).toArray(ValueLayout.JAVA_BYTE), type + " " + t.name());
                }
            }
            assertArrayEquals(score(in).getFirst().logProbs(), score(out).getFirst().logProbs(), type + ": llama.cpp logits differ after the round trip");
        }
    }
}
