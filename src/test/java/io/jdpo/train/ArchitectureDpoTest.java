package io.jdpo.train;

import io.jdpo.adapter.AdapterFile;
import io.jdpo.data.PreferencePair;
import io.jdpo.llama.Batch;
import io.jdpo.llama.ContextParams;
import io.jdpo.llama.FileType;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LoraAdapter;
import io.jdpo.model.LoraConfig;
import io.jdpo.model.LoraTarget;
import io.jdpo.model.LoraWeights;
import io.jdpo.model.Transformer;
import io.jdpo.progress.TrainListener;
import io.jdpo.tensor.GgmlOrder;
import io.jdpo.tensor.LoraPair;
import io.jdpo.tensor.VectorMath;
import io.jdpo.testing.TestData;
import io.jdpo.testing.ThemePairs;
import io.jdpo.testing.TestModelFactory;
import io.jdpo.testing.TestModelFactory.Arch;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The dog-theme task of {@link DpoTrainerTest} on generated Gemma 2, Gemma 3 and Phi-3
 * models (random weights, stories260K's tokenizer): held-out accuracy must reach 0.9, and
 * the trained adapter, loaded by llama.cpp, must change llama.cpp's greedy continuation
 * exactly as the Java forward with the same adapter predicts it (same tokens, log-probs
 * within 1e-4: the deployed arithmetic is llama.cpp's, adapter products included).
 */
class ArchitectureDpoTest {
    private static final TestModelFactory.Shape SHAPE = new TestModelFactory.Shape(64, 2, 4, 2, 128, 256);

    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"GEMMA2", "GEMMA3", "PHI3"})
    void learnsTheDogThemeAndLlamaCppFollowsTheAdapter(Arch arch, @TempDir Path dir) throws Exception {
        Path model = TestModelFactory.quantized(TestData.stories260K(), SHAPE.with(arch, false), 5, FileType.F32, dir);
        List<PreferencePair> train = new ArrayList<>(), eval = new ArrayList<>();
        pairs(model, train, eval);
        TrainResult r = new DpoTrainer(DpoTrainerTest.config().maxSteps(30).evalEvery(15).build()).cacheDir(dir.resolve("cache"))
                .train(model, train, eval, dir.resolve("run"), null, TrainListener.SILENT);
        double before = r.firstEval().rewardsMargins(), accuracy = r.lastEval().rewardsAccuracies();

        AdapterFile adapter = AdapterFile.read(r.adapter());
        int changed = 0;
        double worst = 0;
        int tokens = 0;
        try (Transformer tf = Transformer.load(model, 2);
             LoraWeights w = LoraWeights.zeros(tf.config(), new LoraConfig(adapter.pairs().values().iterator().next().rank(),
                     adapter.alpha(), false, LoraTarget.all()));
             LlamaModel lm = LlamaModel.load(model);
             LlamaContext plain = LlamaContext.create(lm, ContextParams.of(128).withThreads(2));
             LlamaContext adapted = LlamaContext.create(lm, ContextParams.of(128).withThreads(2));
             LoraAdapter la = LoraAdapter.load(lm, r.adapter()); Batch batch = new Batch(128, 1)) {
            copy(adapter, w);
            tf.setAdapter(w);
            adapted.attach(la, 1f);
            int V = tf.config().vocab();
            for (PreferencePair p : eval.subList(0, 4)) {
                int[] base = greedy(plain, batch, p.prompt(), 12, V);
                int[] seq = greedy(adapted, batch, p.prompt(), 12, V);
                if (!Arrays.equals(base, seq)) changed++;
                // The Java forward with the same adapter: same greedy choices, same log-probs.
                float[] j = tf.logits(seq, p.prompt().length), l = adapted.sequenceLogits(batch, seq, p.prompt().length);
                for (int t = 0; t < seq.length - p.prompt().length; t++) {
                    int o = t * V, next = seq[p.prompt().length + t];
                    assertEquals(next, argmax(j, o, V), arch + ": the Java forward picks llama.cpp's greedy token at step " + t);
                    double dj = j[o + next] - VectorMath.logSumExp(j, o, V), dl = l[o + next] - VectorMath.logSumExp(l, o, V);
                    worst = Math.max(worst, Math.abs(dj - dl));
                    tokens++;
                }
            }
        }
        System.out.printf("%s DPO: held-out margin %.2e -> %.3f, accuracy %.2f; trained adapter changes llama.cpp's greedy continuation of %d/4 prompts, "
                + "Java forward with it vs llama.cpp max |Δ log-prob| %.2e over %d greedy tokens%n",
                arch, before, r.lastEval().rewardsMargins(), accuracy, changed, worst, tokens);
        assertTrue(Math.abs(before) < 1e-4, "step-0 margin " + before);
        assertTrue(accuracy >= 0.9, arch + " held-out accuracy " + accuracy);
        assertTrue(changed > 0, "the adapter changes llama.cpp's greedy output");
        // The 1e-4 where the Java forward adds in ggml's order (x86). Elsewhere Gemma is
        // held to twice llama.cpp's own floor under one-ulp changes (its F16 GELU table), 4e-4.
        double bound = GgmlOrder.LANES > 0 || arch == Arch.PHI3 ? 1e-4 : 4e-4;
        assertTrue(worst <= bound, arch + ": " + worst);
    }

    /** The theme pairs ({@link ThemePairs}), tokenized with this model's tokenizer. */
    private static void pairs(Path model, List<PreferencePair> train, List<PreferencePair> eval) {
        ThemePairs.Split s = ThemePairs.tokenized(model);
        train.addAll(s.train());
        eval.addAll(s.eval());
    }

    /** llama.cpp's greedy continuation of a prompt by n tokens (argmax of its logits each step). */
    private static int[] greedy(LlamaContext ctx, Batch batch, int[] prompt, int n, int V) {
        int[] seq = prompt.clone();
        for (int i = 0; i < n; i++) {
            // One more (placeholder) token, so the logits after the last real one come back.
            seq = Arrays.copyOf(seq, seq.length + 1);
            float[] z = ctx.sequenceLogits(batch, seq, seq.length - 1);
            seq[seq.length - 1] = argmax(z, 0, V);
        }
        return seq;
    }

    private static int argmax(float[] z, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (z[off + i] > z[off + best]) best = i;
        return best;
    }

    /** The adapter file's A and B into the Java adapter's pairs, by base tensor name. */
    private static void copy(AdapterFile f, LoraWeights w) {
        Map<String, LoraPair> pairs = w.byTensorName();
        assertEquals(pairs.keySet(), f.pairs().keySet());
        f.pairs().forEach((name, p) -> {
            LoraPair q = pairs.get(name);
            MemorySegment.copy(p.a(), 0, q.a(), ValueLayout.JAVA_FLOAT_UNALIGNED, 0, p.a().length);
            MemorySegment.copy(p.b(), 0, q.b(), ValueLayout.JAVA_FLOAT_UNALIGNED, 0, p.b().length);
        });
    }
}
