package io.jdpo.llama;

import io.jdpo.testing.TestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

/** Log-prob scoring: against raw logits, batched vs one at a time, shared vs separate prompts. */
class ScoringTest {
    private static LlamaModel model;
    private static Tokenizer tok;

    @BeforeAll
    static void load() {
        model = LlamaModel.load(TestData.stories260K());
        tok = model.tokenizer();
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    private static int[] completion(String text) {
        return tok.tokenize(text, false, false);
    }

    private static List<ScoreRequest> pairs() {
        String[][] rows = {
                {"Once upon a time, there was a little girl named Lily.", " She loved to play with her ball.", " The sky was dark and the wind was cold."},
                {"Tom had a big red car.", " He drove it to the park every day.", " It was blue."},
                {"The cat sat on the mat.", " It was happy and warm.", " Then it ran away to the forest and never came back home again."},
                {"One day, a bird flew into the house.", " Mom was surprised.", " The bird sang a song."},
        };
        List<ScoreRequest> out = new ArrayList<>();
        for (String[] r : rows) {
            out.add(ScoreRequest.pair(tok.tokenize(r[0], true, false), completion(r[1]), completion(r[2])));
        }
        return out;
    }

    @Test
    void logProbsEqualLogSoftmaxOfRawLogits() {
        int[] prompt = tok.tokenize("Once upon a time, there was a dog.", true, false);
        int[] comp = completion(" The dog liked to run and jump in the sun.");
        int[] all = new int[prompt.length + comp.length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(comp, 0, all, prompt.length, comp.length);
        float[] expected = new float[comp.length];
        try (LlamaContext ctx = LlamaContext.create(model, ContextParams.of(128).withThreads(2));
             Batch b = new Batch(128, 1)) {
            for (int i = 0; i < all.length; i++) b.add(all[i], i, true, 0);
            ctx.decode(b);
            for (int j = 0; j < comp.length; j++) {
                float[] z = ctx.logits(prompt.length - 1 + j);
                double max = Double.NEGATIVE_INFINITY;
                for (float v : z) max = Math.max(max, v);
                double sum = 0;
                for (float v : z) sum += Math.exp(v - max);
                expected[j] = (float) (z[comp[j]] - max - Math.log(sum));
            }
            TokenLogProbs got = new LogProbScorer(ctx).score(prompt, comp);
            assertEquals(comp.length, got.length());
            double sum = 0;
            for (int j = 0; j < comp.length; j++) {
                assertEquals(expected[j], got.logProbs()[j], 1e-5, "token " + j);
                assertTrue(got.logProbs()[j] < 0);
                sum += expected[j];
            }
            assertEquals(sum, got.sum(), 1e-4);
        }
    }

    @Test
    void batchedAndSharedScoringEqualOneAtATime() {
        List<ScoreRequest> requests = pairs();
        List<List<TokenLogProbs>> batchedShared, batchedSeparate;
        List<List<TokenLogProbs>> single = new ArrayList<>();
        try (LlamaContext big = LlamaContext.create(model, ContextParams.of(512).withSequences(8).withThreads(2));
             LlamaContext small = LlamaContext.create(model, ContextParams.of(64).withThreads(2).withBatch(16))) {
            batchedShared = new LogProbScorer(big, true).score(requests);
            batchedSeparate = new LogProbScorer(big, false).score(requests);
            LogProbScorer one = new LogProbScorer(small, false);
            for (ScoreRequest r : requests) {
                List<TokenLogProbs> each = new ArrayList<>();
                for (int[] c : r.completions()) each.add(one.score(r.prompt(), c));
                single.add(each);
            }
        }
        for (int r = 0; r < requests.size(); r++) {
            for (int c = 0; c < 2; c++) {
                float[] ref = single.get(r).get(c).logProbs();
                assertArrayEquals(ref, batchedShared.get(r).get(c).logProbs(), 1e-4f, "shared, request " + r + " completion " + c);
                assertArrayEquals(ref, batchedSeparate.get(r).get(c).logProbs(), 1e-4f, "batched, request " + r + " completion " + c);
            }
        }
    }

    @Test
    void twoContextsOnTwoThreadsMatchSequentialRuns() throws Exception {
        List<ScoreRequest> requests = pairs();
        Callable<List<List<TokenLogProbs>>> job = () -> {
            try (LlamaContext ctx = LlamaContext.create(model, ContextParams.of(256).withSequences(4).withThreads(1))) {
                List<List<TokenLogProbs>> last = null;
                for (int i = 0; i < 5; i++) last = new LogProbScorer(ctx).score(requests);
                return last;
            }
        };
        List<List<TokenLogProbs>> sequential = job.call();
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            Future<List<List<TokenLogProbs>>> a = pool.submit(job), b = pool.submit(job);
            for (var result : List.of(a.get(), b.get())) {
                for (int r = 0; r < requests.size(); r++) {
                    for (int c = 0; c < 2; c++) {
                        assertArrayEquals(sequential.get(r).get(c).logProbs(), result.get(r).get(c).logProbs(), 1e-6f);
                    }
                }
            }
        }
    }

    @Test
    void requestLargerThanTheContextIsRefused() {
        try (LlamaContext ctx = LlamaContext.create(model, ContextParams.of(32).withThreads(2))) {
            int[] prompt = tok.tokenize("Once upon a time there was a big house with a red door and a small window.", true, false);
            int[] comp = completion(" The end of a long story about many things that happened.");
            LlamaException e = assertThrows(LlamaException.class, () -> new LogProbScorer(ctx).score(prompt, comp));
            assertTrue(e.getMessage().contains("KV cells"), e.getMessage());
        }
    }
}
