package io.jdpo.model;

import io.jdpo.llama.ContextParams;
import io.jdpo.llama.FileType;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LogProbScorer;
import io.jdpo.llama.ModelParams;
import io.jdpo.llama.ScoreRequest;
import io.jdpo.llama.TokenLogProbs;
import io.jdpo.tensor.GgmlOrder;
import io.jdpo.testing.TestData;
import io.jdpo.testing.TestModelFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The deployed arithmetic's pair forward against llama.cpp scoring the pair as the reference
 * scorer does (the prompt decoded once, then both completions in one decode, from an empty
 * cache): equal to the bit, so the policy at step 0 is its reference. Both sides of what made
 * them differ are exercised: prompts and completion batches whose rows are not whole fours
 * (repack.cpp's Q4_K gemm takes fours, its gemv the rest; the last layer's MLP runs on each
 * decode's predicting rows alone, one row for the prompt), and the rejected completion's keys,
 * which llama.cpp keeps in the cells after the chosen one's (so in other attention lanes than
 * at its rope positions). Real stories260K (F32, and Q8_0 and Q4_0 by llama.cpp's quantizer) and a
 * generated eight-layer Llama in Q4_K_M.
 */
class PairParityTest {
    /** prompt, chosen and rejected lengths: odd prompts, a one-token prompt, completions of every remainder by four. */
    private static final int[][] SHAPES = {{37, 23, 18}, {1, 7, 9}, {38, 21, 16}, {70, 45, 81}};

    @ParameterizedTest
    @EnumSource(value = FileType.class, names = {"F32", "Q8_0", "Q4_0", "Q4_K_M"})
    void aPairEqualsLlamaCppsScoringOfItBitForBit(FileType type, @TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(GgmlOrder.LANES > 0, "ggml's summation order is known only for x86 builds (AVX2, AVX-512)");
        Path model = type == FileType.Q4_K_M
                ? TestModelFactory.quantized(TestData.stories260K(), new TestModelFactory.Shape(256, 8, 4, 2, 512, 512), 3, type, dir)
                : type == FileType.F32 ? TestData.stories260K()
                : quantizedStories(type, dir);
        Random rnd = new Random(12);
        try (Transformer tf = Transformer.load(model, 2); LlamaModel m = LlamaModel.load(model, ModelParams.defaults())) {
            for (int[] shape : SHAPES) {
                int[] prompt = tokens(rnd, shape[0]), chosen = tokens(rnd, shape[1]), rejected = tokens(rnd, shape[2]);
                float[] java = tf.logProbsPair(prompt, chosen, rejected);
                int cells = prompt.length + chosen.length + rejected.length;
                try (LlamaContext ctx = LlamaContext.create(m, ContextParams.of(cells).withSequences(2).withBatch(cells).withThreads(2))) {
                    List<TokenLogProbs> ref = new LogProbScorer(ctx, true).score(List.of(ScoreRequest.pair(prompt, chosen, rejected))).getFirst();
                    String what = type + " " + Arrays.toString(shape);
                    assertArrayEquals(ref.get(0).logProbs(), Arrays.copyOf(java, chosen.length), what + ": chosen");
                    assertArrayEquals(ref.get(1).logProbs(), Arrays.copyOfRange(java, chosen.length, java.length), what + ": rejected");
                }
            }
        }
    }

    private static Path quantizedStories(FileType type, Path dir) throws Exception {
        Path out = dir.resolve("stories260K." + type + ".gguf");
        io.jdpo.llama.ModelQuantizer.quantize(TestData.stories260K(), out, type, 2);
        return out;
    }

    private static int[] tokens(Random rnd, int n) {
        int[] t = new int[n];
        t[0] = 1;
        for (int i = 1; i < n; i++) t[i] = 3 + rnd.nextInt(500);
        return t;
    }
}
