package io.jdpo.train;

import io.jdpo.data.PairLoader;
import io.jdpo.data.RowFindings;
import io.jdpo.data.SftReader;
import io.jdpo.data.SftSample;
import io.jdpo.llama.ContextParams;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LogProbScorer;
import io.jdpo.llama.LoraAdapter;
import io.jdpo.llama.ModelParams;
import io.jdpo.progress.StepMetrics;
import io.jdpo.progress.TrainListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Supervised fine-tuning (Preferred-FT) on the bundled demo model and the chosen completions of
 * its preference set: the training loss falls, and the held-out completions' log-probability,
 * measured by llama.cpp with the exported adapter attached (an engine independent of the Java
 * forward that trained it), rises; a resumed run ends bit-identical to an uninterrupted one.
 */
class SftTrainerTest {
    static final Path MODEL = Path.of("models/demo.gguf"), DATA = Path.of("models/demo-prefs.jsonl");
    static final List<SftSample> train = new ArrayList<>(), eval = new ArrayList<>();

    @BeforeAll
    static void samples() throws IOException {
        assertTrue(Files.isRegularFile(MODEL), "the bundled demo model (models/build-demo-model.sh rebuilds it)");
        SftReader.Data d = SftReader.read(DATA, null, new RowFindings(true));
        assertEquals("standard chosen", d.format());
        List<SftSample> all;
        try (PairLoader loader = PairLoader.plainText(MODEL)) {
            all = loader.encodeSft(d);
        }
        // The demo's own split: every eighth example held out.
        for (int i = 0; i < all.size(); i++) (i % 8 == 7 ? eval : train).add(all.get(i));
    }

    static TrainConfig.Builder config() {
        return TrainConfig.defaults().toBuilder().rank(8).alpha(16).learningRate(1e-3).batchSize(4).threads(2).seed(7);
    }

    @Test
    void lossFallsAndHeldOutLogProbRisesInLlamaCpp(@TempDir Path out) throws IOException {
        List<SftMetrics> rows = new ArrayList<>();
        TrainListener listener = new TrainListener() {
            @Override
            public void metrics(StepMetrics m) {
                if (!m.eval()) rows.add((SftMetrics) m);
            }
        };
        SftResult r = new SftTrainer(config().maxSteps(16).build()).train(MODEL, train, eval, out, null, listener);
        double firstLoss = rows.getFirst().loss(), lastLoss = rows.getLast().loss();
        double before = meanLogProb(null), after = meanLogProb(r.adapter());
        System.out.printf("SFT on the demo's chosen completions, 16 steps: train loss %.3f -> %.3f, held-out loss %.3f -> %.3f, "
                        + "token accuracy %.3f -> %.3f; held-out completion log-prob in llama.cpp %.3f -> %.3f (Java: %.3f)%n",
                firstLoss, lastLoss, r.firstEval().loss(), r.lastEval().loss(), r.firstEval().meanTokenAccuracy(),
                r.lastEval().meanTokenAccuracy(), before, after, r.lastEval().logpsCompletion());
        assertTrue(lastLoss < 0.8 * firstLoss, "training loss " + firstLoss + " -> " + lastLoss);
        assertTrue(r.lastEval().loss() < r.firstEval().loss(), "held-out loss");
        assertTrue(after > before + 1, "held-out completion log-prob in llama.cpp " + before + " -> " + after);
        // The trained policy is what llama.cpp deploys: the Java engine's held-out log-prob with the adapter agrees.
        assertEquals(after, r.lastEval().logpsCompletion(), 1e-2 * Math.max(1, Math.abs(after)));
        assertEquals(before, r.firstEval().logpsCompletion(), 1e-3 * Math.max(1, Math.abs(before)));
        SftMetrics last = rows.getLast();
        long tokens = 0;
        for (SftMetrics m : rows) {
            assertTrue(m.numTokens() > tokens, "num_tokens grows");
            tokens = m.numTokens();
        }
        assertEquals(16, rows.size());
        assertTrue(last.meanTokenAccuracy() >= 0 && last.meanTokenAccuracy() <= 1);
        List<String> lines = Files.readAllLines(r.metrics());
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"mean_token_accuracy\"") && l.contains("\"num_tokens\"")
                && l.contains("\"grad_norm\"") && l.contains("\"learning_rate\"") && l.contains("\"epoch\"")), "TRL's SFT names");
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"eval_loss\"") && l.contains("\"eval_mean_token_accuracy\"")
                && l.contains("\"eval_entropy\"")));
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"entropy\"")));
    }

    @Test
    void resumedRunEndsBitIdenticalToAnUninterruptedOne(@TempDir Path dir) throws IOException {
        TrainConfig cfg = config().maxSteps(6).checkpointEvery(3).gradientAccumulation(2).batchSize(2).build();
        Path full = dir.resolve("full"), resumed = dir.resolve("resumed");
        SftResult a = new SftTrainer(cfg).train(MODEL, train, eval.subList(0, 2), full, null, TrainListener.SILENT);
        Path checkpoint = full.resolve("checkpoints/step-000003");
        SftResult b = new SftTrainer(cfg).train(MODEL, train, eval.subList(0, 2), resumed, checkpoint, TrainListener.SILENT);
        assertArrayEquals(Files.readAllBytes(a.adapter()), Files.readAllBytes(b.adapter()), "adapter after resume");
        assertArrayEquals(Files.readAllBytes(full.resolve("checkpoints/step-000006/state.bin")),
                Files.readAllBytes(resumed.resolve("checkpoints/step-000006/state.bin")), "optimizer state after resume");
        assertEquals(a.lastTrain().numTokens(), b.lastTrain().numTokens(), "num_tokens counts the steps before the checkpoint");
        assertEquals(a.lastTrain().loss(), b.lastTrain().loss(), 0);
        assertEquals(a.lastEval(), b.lastEval());

        TrainConfig other = config().maxSteps(6).checkpointEvery(3).gradientAccumulation(2).batchSize(2).learningRate(2e-3).build();
        IOException e = assertThrows(IOException.class, () -> new SftTrainer(other)
                .train(MODEL, train, eval, dir.resolve("other"), checkpoint, TrainListener.SILENT));
        assertTrue(e.getMessage().contains("a setting that changes the result differs"), e.getMessage());
    }

    /**
     * mean_token_accuracy's top-1 test (a token's log-prob equals its row's largest) and the
     * entropy, in both the training forward and the inference forward, against the argmax and the
     * entropy of the full logits (computed here in double).
     */
    @Test
    void topOneAndEntropyMatchTheFullLogits() throws IOException {
        try (io.jdpo.model.Transformer tf = io.jdpo.model.Transformer.load(MODEL, 2);
             io.jdpo.model.LoraWeights lora = io.jdpo.model.LoraWeights.init(tf.config(), config().build().loraConfig(), 7)) {
            tf.setAdapter(lora);
            int V = tf.config().vocab(), hits = 0, tokens = 0;
            for (SftSample s : eval) {
                int from = s.prompt().length;
                float[] logits = tf.logits(s.sequence(), from);
                float[] top = new float[s.completion().length], h = new float[top.length];
                float[] lp = tf.logProbs(s.sequence(), from, top, h);
                io.jdpo.model.ForwardPass pass = tf.forward(s.sequence(), from, false);
                float[] lpTrain = pass.logProbs(), topTrain = pass.topLogProbs(), hTrain = pass.entropies();
                for (int t = 0; t < lp.length; t++) {
                    int best = 0;
                    for (int v = 1; v < V; v++) if (logits[t * V + v] > logits[t * V + best]) best = v;
                    double m = logits[t * V + best], sum = 0, pz = 0;
                    for (int v = 0; v < V; v++) sum += Math.exp(logits[t * V + v] - m);
                    double lse = m + Math.log(sum);
                    for (int v = 0; v < V; v++) pz += Math.exp(logits[t * V + v] - lse) * logits[t * V + v];
                    double entropy = lse - pz;
                    assertEquals(entropy, h[t], 1e-4 * Math.max(1, entropy), "inference entropy, token " + t);
                    assertEquals(entropy, hTrain[t], 1e-4 * Math.max(1, entropy), "training entropy, token " + t);
                    boolean argmax = best == s.completion()[t];
                    assertEquals(argmax, lp[t] >= top[t], "inference, token " + t);
                    assertEquals(argmax, lpTrain[t] >= topTrain[t], "training forward, token " + t);
                    hits += argmax ? 1 : 0;
                    tokens++;
                }
            }
            System.out.printf("top-1 on the held-out completions: %d of %d tokens%n", hits, tokens);
            assertTrue(hits > 0 && hits < tokens, "both cases occur");
        }
    }

    /** Mean over the held-out samples of the completion's summed log-prob, scored by llama.cpp (with the adapter when given). */
    static double meanLogProb(Path adapter) {
        try (LlamaModel m = LlamaModel.load(MODEL, ModelParams.defaults());
             LoraAdapter lora = adapter == null ? null : LoraAdapter.load(m, adapter);
             LlamaContext ctx = LlamaContext.create(m, ContextParams.of(256).withThreads(2))) {
            if (lora != null) ctx.attach(lora, 1f);
            LogProbScorer scorer = new LogProbScorer(ctx);
            double s = 0;
            for (SftSample x : eval) s += scorer.score(x.prompt(), x.completion()).sum();
            return s / eval.size();
        }
    }
}
