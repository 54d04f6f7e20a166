package io.jdpo.train;

import io.jdpo.progress.StepMetrics;
import io.jdpo.progress.TrainListener;

import io.jdpo.data.PairEncoder;
import io.jdpo.data.RowFindings;
import io.jdpo.data.PreferencePair;
import io.jdpo.data.PreferenceReader;
import io.jdpo.data.UnpairedSample;

import io.jdpo.llama.LlamaModel;
import io.jdpo.model.LoraTarget;
import io.jdpo.testing.TestData;
import io.jdpo.testing.ThemePairs;
import org.junit.jupiter.api.BeforeAll;
import io.jdpo.llama.FileType;
import io.jdpo.llama.ModelQuantizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import io.jdpo.model.LoraWeights;
import io.jdpo.model.Transformer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * DPO on the real pretrained stories260K: a preference set whose chosen continuations carry
 * a theme (a dog appears) that the rejected ones lack. Held-out accuracy must rise from
 * chance to ≥ 0.9 with the chosen log-prob rising above the reference; a stopped and
 * resumed run must end bit-identical to an uninterrupted one.
 */
class DpoTrainerTest {
    @TempDir
    static Path cache;
    static List<PreferencePair> train = new ArrayList<>(), eval = new ArrayList<>();

    @BeforeAll
    static void buildPairs() {
        ThemePairs.Split s = ThemePairs.tokenized(TestData.stories260K());
        train.addAll(s.train());
        eval.addAll(s.eval());
    }

    /** Keeps the trainer's messages (and prints them). */
    static class Collecting implements TrainListener {
        final List<String> messages;

        Collecting(List<String> messages) {
            this.messages = messages;
        }

        @Override
        public void message(String line) {
            messages.add(line);
            System.out.println(line);
        }
    }

    @Test
    void aModelPastTheParityBoundsIsRefusedUnlessForced(@TempDir Path dir) throws Exception {
        // stories260K's gap in the float arithmetic is about 1e-5 nats per token (in the deployed
        // one, the default, 0: llama.cpp's own order): bounds of 1e-9 stand for a model whose
        // Java forward drifts from llama.cpp.
        List<PreferencePair> few = train.subList(0, 4);
        Path refused = dir.resolve("refused");
        var e = assertThrows(io.jdpo.JdpoException.class, () -> new DpoTrainer(config().maxSteps(1).arithmetic(io.jdpo.tensor.Arithmetic.FLOAT).build()).cacheDir(cache)
                .parityBounds(1e-9, 1e-9).train(TestData.stories260K(), few, List.of(), refused, null, new Collecting(new ArrayList<>())));
        assertTrue(e.getMessage().contains("differs from llama.cpp on the CPU on this file") && e.getMessage().contains("--force"),
                e.getMessage());
        assertFalse(Files.exists(refused.resolve("metrics.jsonl")), "a refused run leaves no metrics behind");
        assertFalse(Files.exists(refused.resolve("adapter.gguf")));

        TrainResult forced = new DpoTrainer(config().maxSteps(1).arithmetic(io.jdpo.tensor.Arithmetic.FLOAT).force(true).build()).cacheDir(cache)
                .parityBounds(1e-9, 1e-9).train(TestData.stories260K(), few, List.of(), dir.resolve("forced"), null, new Collecting(new ArrayList<>()));
        assertEquals(1, forced.steps());
        String first = Files.readAllLines(forced.metrics()).getFirst();
        assertTrue(first.contains("policy_ref_gap/max") && first.contains("java_check/max"), "the gaps are logged even when forced: " + first);

        // The Java API keeps an earlier run's results as the CLI does: refused unless resumed or overwritten.
        byte[] metrics = Files.readAllBytes(forced.metrics());
        var again = assertThrows(io.jdpo.JdpoException.class, () -> new DpoTrainer(config().maxSteps(1).force(true).build())
                .cacheDir(cache).train(TestData.stories260K(), few, List.of(), dir.resolve("forced"), null, new Collecting(new ArrayList<>())));
        assertTrue(again.getMessage().contains("holds an earlier run (adapter.gguf, metrics.jsonl)"), again.getMessage());
        assertArrayEquals(metrics, Files.readAllBytes(forced.metrics()));
        new DpoTrainer(config().maxSteps(1).force(true).build()).overwrite(true).cacheDir(cache)
                .train(TestData.stories260K(), few, List.of(), dir.resolve("forced"), null, new Collecting(new ArrayList<>()));
    }

    /**
     * Step 0's F32 copy without room: checked on a model of the first blocks that fit (the Java
     * forward on them as stored, llama.cpp on them in F32), within the same bounds; with no room
     * for even one block the check is left out with a line that says so and how to run it alone,
     * and the run trains either way. {@code DequantizedCopy.bytesByBlocks} is the written copies'
     * size within their metadata.
     */
    @Test
    void aCopyWithoutRoomIsCheckedOnItsFirstBlocksOrLeftOut(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("stories260K.Q8_0.gguf");
        ModelQuantizer.quantize(TestData.stories260K(), model, FileType.Q8_0, 2);
        long[] sizes = io.jdpo.model.DequantizedCopy.bytesByBlocks(model);
        int blocks;
        try (Transformer tf = Transformer.load(model, 1)) {
            blocks = tf.config().layers();
        }
        assertEquals(blocks + 1, sizes.length);
        long need = sizes[blocks];
        Path copy = dir.resolve("copy.gguf"), part = dir.resolve("part.gguf");
        io.jdpo.model.DequantizedCopy.write(model, copy);
        assertTrue(need <= Files.size(copy) && Files.size(copy) <= need + (1 << 20), need + " bytes of tensors, file " + Files.size(copy));
        io.jdpo.model.DequantizedCopy.firstLayers(model, part, 2, true);
        assertTrue(sizes[2] <= Files.size(part) && Files.size(part) <= sizes[2] + (1 << 20), sizes[2] + " bytes of tensors, file " + Files.size(part));
        assertTrue(CopyRoom.at(need, dir).limit() > 0, "a temporary folder and memory give some room");

        List<String> messages = new ArrayList<>();
        long firstBlocks = sizes[blocks - 1];
        TrainResult r = new DpoTrainer(config().maxSteps(1).build()).cacheDir(cache).f32CopyLimit(firstBlocks)
                .train(model, train.subList(0, 4), List.of(), dir.resolve("sliced"), null, new Collecting(messages));
        assertEquals(1, r.steps());
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("step 0: Java forward (float arithmetic) vs llama.cpp on the CPU on an F32 copy of its first "
                + (blocks - 1) + " of " + blocks + " blocks")), String.valueOf(messages));
        String metrics = Files.readAllLines(r.metrics()).getFirst();
        assertTrue(metrics.contains("\"java_check/blocks\":" + (blocks - 1)) && metrics.contains("java_check/max"), metrics);

        messages.clear();
        r = new DpoTrainer(config().maxSteps(1).build()).cacheDir(cache).f32CopyLimit(1)
                .train(model, train.subList(0, 4), List.of(), dir.resolve("left-out"), null, new Collecting(messages));
        assertEquals(1, r.steps());
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("step 0: Java forward check left out: an F32 copy of this model takes")
                && m.contains("jdpo parity MODEL --dequantized")), String.valueOf(messages));
        assertFalse(messages.stream().anyMatch(m -> m.startsWith("step 0: Java forward (float arithmetic) vs")), String.valueOf(messages));
        assertTrue(Files.readAllLines(r.metrics()).getFirst().contains("\"java_check/skipped_copy_mib\""));
    }

    /**
     * The real stories260K quantized to Q8_0 and Q4_0 trains with the default arithmetic and
     * step-0 check (no force), learns the theme, and afterwards the Java policy with its
     * adapter scores the parity text as llama.cpp running the exported adapter on that file
     * does (train = deploy).
     */
    @ParameterizedTest
    @EnumSource(value = FileType.class, names = {"Q8_0", "Q4_0"})
    void quantizedModelTrainsAndMatchesLlamaCppWithTheAdapter(FileType type, @TempDir Path dir) throws Exception {
        Path model = dir.resolve("stories260K." + type + ".gguf");
        ModelQuantizer.quantize(TestData.stories260K(), model, type, 2);
        List<String> messages = new ArrayList<>();
        TrainConfig cfg = config().maxSteps(30).evalEvery(10).build();
        TrainResult r = new DpoTrainer(cfg).cacheDir(cache).train(model, train, eval, dir.resolve("run"), null, new Collecting(messages));
        double after = r.lastEval().rewardsAccuracies();
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("step 0: float arithmetic vs reference")), String.valueOf(messages));
        assertTrue(after >= 0.9, type + ": held-out accuracy after training " + after);
        io.jdpo.model.ModelConfig mc;
        try (io.jdpo.model.Transformer tf = io.jdpo.model.Transformer.load(model, 1)) {
            mc = tf.config();
        }
        io.jdpo.adapter.AdapterFile file = io.jdpo.adapter.AdapterFile.read(r.adapter());
        try (io.jdpo.model.LoraWeights w = io.jdpo.model.LoraWeights.zeros(mc, cfg.loraConfig())) {
            w.byTensorName().forEach((name, p) -> {
                io.jdpo.adapter.AdapterFile.Pair q = file.pairs().get(name);
                for (int i = 0; i < q.a().length; i++) io.jdpo.tensor.SegmentMath.set(p.a(), i, q.a()[i]);
                for (int i = 0; i < q.b().length; i++) io.jdpo.tensor.SegmentMath.set(p.b(), i, q.b()[i]);
            });
            io.jdpo.verify.ParityReport deploy = io.jdpo.verify.ParityReport.withAdapter(model, r.adapter(), w, io.jdpo.verify.ParityReport.sampleText(), 128, 2);
            System.out.printf("%s: held-out accuracy %.2f; Java policy + adapter vs llama.cpp + exported adapter: %s%n", type, after, deploy);
            if (io.jdpo.tensor.GgmlOrder.LANES > 0) {
                // Train = deploy: the deployed arithmetic is llama.cpp's, adapter included (0.00 here).
                assertTrue(deploy.meanAbs() <= 1e-4 && deploy.maxAbs() <= 2e-3 && deploy.top1Agreement() == 1.0, type + ": " + deploy);
                // And at step 0 the policy is its reference: the pair forward follows the reference
                // scorer's decodes (measured 9e-13 mean, 4.7e-10 max: a float ulp of a log-prob near
                // zero, where the policy's log-sum-exp adds panel by panel and the reference's whole).
                var first = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Files.readAllLines(r.metrics()).getFirst());
                assertTrue(first.get("policy_ref_gap/mean").asDouble() <= 1e-10 && first.get("policy_ref_gap/max").asDouble() <= 1e-7,
                        type + ": step-0 gap " + first);
            } else {
                // Where ggml's order is not known, the policy is held to the gap the base model shows at step 0.
                double stepZero = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Files.readAllLines(r.metrics()).getFirst())
                        .get("policy_ref_gap/mean").asDouble();
                assertTrue(deploy.meanAbs() <= Math.max(3 * stepZero, 5e-3), type + ": " + deploy + " (step 0: " + stepZero + ")");
            }
        }
    }

    static TrainConfig.Builder config() {
        return TrainConfig.defaults().toBuilder().rank(8).alpha(16).learningRate(5e-4).batchSize(4).threads(2)
                .targets(LoraTarget.all()).warmupRatio(0.1).seed(7);
    }

    /**
     * A policy that starts from an adapter is not its reference (the base): its start evaluation
     * runs the forward over the held-out pairs, where a fresh adapter's reads the reference's
     * log-probs ({@link #learnsThePreferredTheme}).
     */
    @Test
    void aPolicyFromAnAdapterIsEvaluatedAtStepZero(@TempDir Path out) throws IOException {
        TrainResult first = new DpoTrainer(config().maxSteps(3).build()).cacheDir(cache)
                .train(TestData.stories260K(), train, List.of(), out.resolve("first"), null, new Collecting(new ArrayList<>()));
        List<String> messages = new ArrayList<>();
        TrainResult r = new DpoTrainer(config().maxSteps(1).build()).initAdapter(first.adapter()).cacheDir(cache)
                .train(TestData.stories260K(), train, eval, out.resolve("second"), null, new Collecting(messages));
        assertFalse(messages.stream().anyMatch(s -> s.startsWith("eval at step 0")), String.valueOf(messages));
        assertNotEquals(0.0, r.firstEval().rewardsMargins(), "three steps moved the policy from the base");
    }

    @Test
    void learnsThePreferredTheme(@TempDir Path out) throws IOException {
        List<String> messages = new ArrayList<>();
        List<StepMetrics> reported = new ArrayList<>();
        TrainListener listener = new Collecting(messages) {
            @Override
            public void metrics(StepMetrics row) {
                System.out.println(row.row());
                reported.add(row);
            }
        };
        TrainResult r = new DpoTrainer(config().maxSteps(30).evalEvery(10).build()).cacheDir(cache)
                .train(TestData.stories260K(), train, eval, out, null, listener);
        double marginBefore = r.firstEval().rewardsMargins(), marginAfter = r.lastEval().rewardsMargins();
        double after = r.lastEval().rewardsAccuracies();
        double chosenBefore = r.firstEval().logpsChosen(), chosenAfter = r.lastEval().logpsChosen();
        System.out.printf("held-out margin %.2e -> %.3f, accuracy %.2f, chosen log-prob %.2f -> %.2f, reward/chosen %.3f, %.0f tokens/s%n",
                marginBefore, marginAfter, after, chosenBefore, chosenAfter, r.lastEval().rewardsChosen(), r.tokensPerSecond());
        // Before training the policy is the reference, so the start evaluation reads the reference's
        // log-probs (no forward): margins exactly 0, the sigmoid loss exactly ln 2.
        if (io.jdpo.tensor.GgmlOrder.LANES > 0) {
            assertEquals(0.0, marginBefore, "step-0 margin");
            assertEquals((float) Math.log(2), (float) r.firstEval().loss(), "step-0 loss");
            assertTrue(messages.stream().anyMatch(s -> s.startsWith("eval at step 0: the policy is its reference")), String.valueOf(messages));
        }
        assertTrue(Math.abs(marginBefore) < 1e-4, "step-0 margin " + marginBefore);
        assertTrue(after >= 0.9, "held-out accuracy after training " + after);
        assertTrue(r.lastEval().rewardsChosen() > 0, "the chosen log-prob rises against the reference");
        assertTrue(messages.stream().anyMatch(s -> s.startsWith("step 0: Java policy (deployed arithmetic) vs reference (llama.cpp on")),
                String.valueOf(messages));
        assertTrue(Files.size(r.adapter()) > 0);
        List<String> lines = Files.readAllLines(r.metrics());
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"rewards/margins\"") && l.contains("\"grad_norm\"")), "TRL metric names");
        // The typed records the listener saw are the file's rows (after the opening step-0 row), value for value.
        List<Map<String, Object>> rows = MetricsLog.read(r.metrics());
        assertEquals(reported.size(), rows.size() - 1);
        for (int i = 0; i < reported.size(); i++) assertEquals(reported.get(i).row(), rows.get(i + 1), "row " + (i + 1));
        assertEquals(r.lastEval(), reported.getLast());
        assertEquals(30 + 4, reported.size(), "30 steps and 4 evaluations (steps 0, 10, 20, 30)");
    }

    @Test
    void resumedRunEndsBitIdenticalToAnUninterruptedOne(@TempDir Path dir) throws IOException {
        TrainConfig cfg = config().maxSteps(6).checkpointEvery(3).gradientAccumulation(2).batchSize(2).build();
        Path full = dir.resolve("full"), resumed = dir.resolve("resumed");
        TrainResult a = new DpoTrainer(cfg).cacheDir(cache).train(TestData.stories260K(), train, eval, full, null, TrainListener.SILENT);
        Path checkpoint = full.resolve("checkpoints/step-000003");
        assertTrue(Files.isDirectory(checkpoint));
        TrainResult b = new DpoTrainer(cfg).cacheDir(cache).train(TestData.stories260K(), train, eval, resumed, checkpoint, TrainListener.SILENT);
        assertArrayEquals(Files.readAllBytes(a.adapter()), Files.readAllBytes(b.adapter()), "adapter after resume");
        assertArrayEquals(Files.readAllBytes(full.resolve("checkpoints/step-000006/state.bin")),
                Files.readAllBytes(resumed.resolve("checkpoints/step-000006/state.bin")), "optimizer state after resume");

        // The reference log-probs of this data were scored once; every later run read them from the cache.
        List<String> messages = new ArrayList<>();
        new DpoTrainer(cfg).cacheDir(cache).train(TestData.stories260K(), train, eval, dir.resolve("again"), null, new Collecting(messages));
        // The second run reads the pairs the first one scored (those its steps visit, and the held-out ones) from the cache.
        assertTrue(messages.stream().anyMatch(m -> m.matches("reference log-probs: \\d+ pairs from cache .*")), String.valueOf(messages));

        TrainConfig other = config().maxSteps(6).checkpointEvery(3).gradientAccumulation(2).batchSize(2).beta(0.2).build();
        IOException e = assertThrows(IOException.class, () -> new DpoTrainer(other).cacheDir(cache)
                .train(TestData.stories260K(), train, eval, dir.resolve("other"), checkpoint, TrainListener.SILENT));
        assertTrue(e.getMessage().contains("a setting that changes the result differs"), e.getMessage());
    }

    /**
     * Every loss jdpo gained beyond sigmoid/ipo/hinge/robust/simpo, each option that changes
     * how the sums are formed (WPO, LD-DPO, f-divergences) and a combination (MPO) learns the
     * theme in a short run: held-out reward accuracy from chance (or, reference-free, from
     * whatever the base model's length-normalised log-probs give) to at least 0.9, the margin
     * up. Reference-free runs never score the reference.
     */
    static Stream<Arguments> methods() {
        return Stream.of(
                method("cdpo", b -> b.loss(LossType.CDPO).labelSmoothing(0.1)),
                method("exo_pair", b -> b.loss(LossType.EXO_PAIR).labelSmoothing(1e-3)),
                method("nca_pair", b -> b.loss(LossType.NCA_PAIR)),
                method("bco_pair", b -> b.loss(LossType.BCO_PAIR)),
                method("sppo_hard", b -> b.loss(LossType.SPPO_HARD)),
                method("aot", b -> b.loss(LossType.AOT)),
                method("aot_unpaired", b -> b.loss(LossType.AOT_UNPAIRED)),
                method("apo_zero", b -> b.loss(LossType.APO_ZERO)),
                method("apo_down", b -> b.loss(LossType.APO_DOWN)),
                // TRL's default τ = 0.05 puts a bump at z = 0 (see DpoLossTest): a run starting at the reference drifts
                // below zero; τ = 1 is the paper's blend without the bump.
                method("discopop_tau1", b -> b.loss(LossType.DISCOPOP).discopopTau(1)),
                method("sigmoid_norm", b -> b.loss(LossType.SIGMOID_NORM)),
                method("mpo", b -> b.losses(List.of(new DpoLoss.Term(LossType.SIGMOID, 0.8), new DpoLoss.Term(LossType.BCO_PAIR, 0.2),
                        new DpoLoss.Term(LossType.SFT, 1.0)))),
                method("wpo", b -> b.useWeighting(true)),
                method("ld_dpo", b -> b.ldAlpha(0.5)),
                method("forward_kl", b -> b.fDivergence(FDivergence.FORWARD_KL)),
                method("js", b -> b.fDivergence(FDivergence.JS_DIVERGENCE)),
                method("alpha", b -> b.fDivergence(FDivergence.ALPHA_DIVERGENCE).fAlpha(0.5)),
                method("cpo", b -> b.loss(LossType.CPO)),
                // λ (β) 0.5 rather than 0.1: with 12 steps the odds-ratio term at 0.1 ends at exactly 0.90 held-out accuracy.
                method("orpo", b -> b.loss(LossType.ORPO).beta(0.5)),
                method("unlikelihood", b -> b.loss(LossType.UNLIKELIHOOD)));
    }

    private static Arguments method(String name, UnaryOperator<TrainConfig.Builder> setup) {
        return Arguments.of(name, setup);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("methods")
    void eachMethodLearnsTheTheme(String name, UnaryOperator<TrainConfig.Builder> setup, @TempDir Path out) throws IOException {
        TrainConfig cfg = setup.apply(config().maxSteps(METHOD_STEPS)).build();
        List<String> messages = new ArrayList<>();
        TrainResult r = new DpoTrainer(cfg).cacheDir(cache).train(TestData.stories260K(), train, eval, out, null, new Collecting(messages));
        double accBefore = r.firstEval().rewardsAccuracies(), accAfter = r.lastEval().rewardsAccuracies();
        double before = r.firstEval().rewardsMargins(), after = r.lastEval().rewardsMargins();
        System.out.printf("%s: held-out accuracy %.2f -> %.2f, margin %.3g -> %.3g, train loss %.4f, terms %s%n", name, accBefore, accAfter,
                before, after, r.lastTrain().loss(), r.lastTrain().lossTerms().keySet());
        assertTrue(accAfter >= 0.9, name + ": held-out accuracy after training " + accAfter);
        assertTrue(after > before, name + ": margin " + before + " -> " + after);
        boolean refFree = cfg.dpoLoss().referenceFree();
        assertEquals(refFree, messages.stream().anyMatch(m -> m.contains("no reference scoring")), String.valueOf(messages));
        assertEquals(!refFree, messages.stream().anyMatch(m -> m.startsWith("step 0: Java policy (")), String.valueOf(messages));
        for (DpoLoss.Term t : cfg.loss()) assertTrue(r.lastTrain().lossTerms().containsKey(t.type().optionName()) && r.lastTrain().row().containsKey("loss/" + t.type().optionName()), "each term logged");
        double weighted = 0;
        for (DpoLoss.Term t : cfg.loss()) weighted += t.weight() * r.lastTrain().lossTerms().get(t.type().optionName());
        assertEquals(weighted, r.lastTrain().loss(), 1e-9 * Math.max(1, Math.abs(weighted)), "the logged loss is the weighted sum of the logged terms");
    }

    static final int METHOD_STEPS = 12;

    /**
     * KTO on the same theme made unpaired (each pair split into a desirable and an undesirable
     * example, KL completions from the previous prompt): the held-out desirable/undesirable
     * reward gap rises from zero, and the KL reference point is logged.
     */
    @Test
    void ktoLearnsTheThemeFromUnpairedExamples(@TempDir Path out) throws IOException {
        TrainConfig cfg = config().maxSteps(METHOD_STEPS).loss(LossType.KTO).build();
        TrainResult r = new DpoTrainer(cfg).cacheDir(cache).trainUnpaired(TestData.stories260K(), unpaired(train), unpaired(eval), out, null,
                new Collecting(new ArrayList<>()));
        double before = r.firstEval().rewardsMargins(), after = r.lastEval().rewardsMargins();
        System.out.printf("kto: held-out desirable - undesirable reward %.3g -> %.3g (desirable %.3f, undesirable %.3f), kl %.4f%n", before, after,
                r.lastEval().rewardsChosen(), r.lastEval().rewardsRejected(), r.lastTrain().kl());
        assertTrue(Math.abs(before) < 1e-3, "step-0 gap " + before);
        assertTrue(after > 0.1, "held-out reward gap after training " + after);
        assertTrue(r.lastEval().rewardsChosen() > 0, "desirable completions rise against the reference");
        assertTrue(r.lastTrain().kl() >= 0 && r.lastTrain().row().containsKey("kl"), "KTO logs its KL estimate");
        assertThrows(IllegalArgumentException.class, () -> new DpoTrainer(cfg).train(TestData.stories260K(), train, eval, out, null, TrainListener.SILENT));
    }

    /** Each pair as a desirable and an undesirable example; the KL completion is the previous pair's (another prompt). */
    static List<UnpairedSample> unpaired(List<PreferencePair> pairs) {
        List<UnpairedSample> out = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            PreferencePair p = pairs.get(i), q = pairs.get((i + pairs.size() - 1) % pairs.size());
            out.add(new UnpairedSample(p.prompt(), p.chosen(), q.rejected(), true));
            out.add(new UnpairedSample(p.prompt(), p.rejected(), q.chosen(), false));
        }
        return out;
    }

    /**
     * The plumbing from per-token log-probs to the loss and back: with LD-DPO (α = 0.3), and
     * with unlikelihood (whose rejected tokens each have a slope of their own), the gradient the
     * trainer hands the backward, token by token, matches central differences of the loss as a
     * function of each token's log-prob.
     */
    @Test
    void ldDpoTokenGradientsMatchCentralDifferences() {
        PreferencePair p = new PreferencePair(new int[]{1, 2}, new int[]{3, 4, 5, 6, 7}, new int[]{8, 9});
        float[] lp = {-1.5f, -2.25f, -0.5f, -3f, -1f, -2f, -0.75f};
        ReferenceScorer.Scores ref = new ReferenceScorer.Scores(new float[]{-1.25f, -2f, -1f, -2.5f, -1.5f}, new float[]{-1f, -1f});
        // Unlikelihood: each rejected token's gradient is α/|r|·p_t/(1 − p_t) at its own log-prob.
        TrainConfig ul = config().ldAlpha(0.3).ulAlpha(0.7)
                .losses(List.of(new DpoLoss.Term(LossType.UNLIKELIHOOD, 1), new DpoLoss.Term(LossType.SIGMOID, 0.5))).build();
        for (TrainConfig cfg : new TrainConfig[]{config().ldAlpha(0.3).build(), config().ldAlpha(0.3).rpoAlpha(0.5).loss(LossType.IPO).build(), ul}) {
            DpoTrainer t = new DpoTrainer(cfg);
            DpoLoss loss = cfg.dpoLoss();
            float[] g = t.tokenGradients(p, lp, loss.evaluate(t.lossPair(p, lp, null, ref)), 1);
            double e = 1e-3;
            for (int i = 0; i < lp.length; i++) {
                float[] up = lp.clone(), down = lp.clone();
                up[i] += (float) e;
                down[i] -= (float) e;
                double numeric = (loss.evaluate(t.lossPair(p, up, null, ref)).loss() - loss.evaluate(t.lossPair(p, down, null, ref)).loss())
                        / ((double) up[i] - down[i]);
                assertEquals(numeric, g[i], 1e-4, cfg.loss() + " token " + i);
            }
            // Past the shared length (2 tokens) the chosen tokens count α = 0.3 in the sums.
            DpoLoss.Pair lp0 = t.lossPair(p, lp, null, ref);
            assertEquals(-1.5 - 2.25 + 0.3 * (-0.5 - 3 - 1), lp0.policyChosen(), 1e-6);
            assertEquals(-1.25 - 2 + 0.3 * (-1 - 2.5 - 1.5), lp0.refChosen(), 1e-6);
            assertEquals(-1.5 - 2.25 - 0.5 - 3 - 1, lp0.sftChosen(), 1e-6);
        }
    }

    /**
     * Unlikelihood through the whole model: the loss of a pair as a function of every adapter
     * parameter (computed by inference forwards), against the gradient the trainer's per-token
     * weights make through the backward. Central differences on 400 sampled entries (cosine) and
     * the five-point stencil on 100 (worst relative error), on stories260K with a rejected
     * completion that is the model's own greedy continuation, so p(token) is large and the slope
     * p/(1 − p) matters.
     */
    @Test
    void unlikelihoodGradientThroughTheModelMatchesFiniteDifferences() throws IOException {
        // The pretrained stories260K: its greedy continuation of a story's opening is likely (p up to 0.9 and more).
        Path model = TestData.stories260K();
        java.util.Random rnd = new java.util.Random(5);
        PreferencePair story = train.getFirst();
        int[] prompt = story.prompt(), chosen = story.chosen();
        TrainConfig cfg = config().rank(2).alpha(4).ulAlpha(3).threads(1).loss(LossType.UNLIKELIHOOD).build();
        DpoTrainer t = new DpoTrainer(cfg);
        DpoLoss loss = cfg.dpoLoss();
        try (Transformer tf = Transformer.load(model, 1);
             LoraWeights lora = LoraWeights.init(tf.config(), cfg.loraConfig(), 3);
             LoraWeights grads = lora.zerosLike()) {
            java.lang.foreign.MemorySegment w = lora.slab();
            long n = lora.parameterCount();
            for (long i = 0; i < n; i++) {
                if (io.jdpo.tensor.SegmentMath.get(w, i) == 0) io.jdpo.tensor.SegmentMath.set(w, i, (float) (0.1 * rnd.nextGaussian()));
            }
            tf.setAdapter(lora);
            // The rejected completion: the adapted model's greedy continuation of the prompt.
            int[] seq = java.util.Arrays.copyOf(prompt, prompt.length + 6);
            int V = tf.config().vocab();
            for (int k = prompt.length; k < seq.length; k++) {
                // Row 0 predicts position k from seq[0..k) (seq[k] is a placeholder until chosen).
                float[] logits = tf.logits(java.util.Arrays.copyOf(seq, k + 1), k);
                int best = 0;
                for (int v = 1; v < V; v++) if (logits[v] > logits[best]) best = v;
                seq[k] = best;
            }
            int[] rejected = java.util.Arrays.copyOfRange(seq, prompt.length, seq.length);
            PreferencePair p = new PreferencePair(prompt, chosen, rejected);
            ReferenceScorer.Scores ref = new ReferenceScorer.Scores(new float[chosen.length], new float[rejected.length]);
            java.util.function.DoubleSupplier f = () -> loss.evaluate(t.lossPair(p, tf.logProbsPair(prompt, chosen, rejected), null, ref)).loss();

            io.jdpo.model.ForwardPass pass = tf.forwardPair(prompt, chosen, rejected, false, 0);
            float[] lp = pass.logProbs();
            double maxP = 0;
            for (int k = chosen.length; k < lp.length; k++) maxP = Math.max(maxP, Math.exp(lp[k]));
            DpoLoss.Result r = loss.evaluate(t.lossPair(p, lp, null, ref));
            tf.backward(pass, t.tokenGradients(p, lp, r, 1), grads);
            double dot = 0, gg = 0, ff = 0, rms = 0;
            for (long i = 0; i < n; i++) rms += Math.pow(io.jdpo.tensor.SegmentMath.get(grads.slab(), i), 2);
            rms = Math.sqrt(rms / n);
            java.util.Random pick = new java.util.Random(17);
            for (int s = 0; s < 400; s++) {
                long i = pick.nextInt((int) n);
                double g = io.jdpo.tensor.SegmentMath.get(grads.slab(), i);
                double fd = io.jdpo.testing.FiniteDifferences.central(w, i, 2e-3f, f);
                dot += g * fd;
                gg += g * g;
                ff += fd * fd;
            }
            double worst = 0;
            for (int s = 0; s < 100; s++) {
                long i = pick.nextInt((int) n);
                double g = io.jdpo.tensor.SegmentMath.get(grads.slab(), i);
                // A larger step than GradientCheckTest's 2e-2: the five-layer model's float rounding is larger
                // (at 5e-3 it dominates, 3.7e-2; at 2e-2, 1.2e-2; at 4e-2, 4.3e-3).
                double precise = io.jdpo.testing.FiniteDifferences.fivePoint(w, i, 4e-2f, f);
                worst = Math.max(worst, Math.abs(g - precise) / Math.max(Math.max(Math.abs(g), Math.abs(precise)), 0.1 * rms));
            }
            double cosine = dot / Math.sqrt(gg * ff);
            System.out.printf("unlikelihood through the model: largest rejected-token p %.3f, U part %.4f, cosine %.7f over 400 entries, "
                    + "worst relative error of 100 (five-point) %.2e%n", maxP, r.terms().get("unlikelihood/rejected_ul"), cosine, worst);
            assertTrue(maxP > 0.5, "the greedy rejected tokens are likely ones: " + maxP);
            assertTrue(cosine >= 0.999, "cosine " + cosine);
            assertTrue(worst <= 1e-2, "worst relative error " + worst);
        }
    }

    /** WPO's per-token normaliser log Σ_v p_v² from the training forward, against the full logits of the same tokens. */
    @Test
    void wpoNormaliserMatchesTheFullSoftmax() throws IOException {
        PreferencePair p = train.getFirst();
        try (Transformer tf = Transformer.load(TestData.stories260K(), 2);
             LoraWeights lora = LoraWeights.init(tf.config(), config().build().loraConfig(), 7)) {
            tf.setAdapter(lora);
            float[] sq = tf.forwardPair(p.prompt(), p.chosen(), p.rejected(), false).logSquaredProbs();
            int V = tf.config().vocab();
            int[] seq = new int[p.prompt().length + p.rejected().length];
            System.arraycopy(p.prompt(), 0, seq, 0, p.prompt().length);
            System.arraycopy(p.rejected(), 0, seq, p.prompt().length, p.rejected().length);
            float[] logits = tf.logits(seq, p.prompt().length);
            for (int t = 0; t < p.rejected().length; t++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < V; v++) max = Math.max(max, logits[t * V + v]);
                double s1 = 0, s2 = 0;
                for (int v = 0; v < V; v++) {
                    double x = logits[t * V + v] - max;
                    s1 += Math.exp(x);
                    s2 += Math.exp(2 * x);
                }
                double expected = Math.log(s2) - 2 * Math.log(s1); // logsumexp(2z) − 2·logsumexp(z), TRL's form
                assertEquals(expected, sq[p.chosen().length + t], 1e-4, "token " + t);
            }
        }
    }

    /** Real data: HH-RLHF's long multi-turn transcripts (implicit prompt) on the random Llama-2 with the full vocabulary. */
    @Test
    void trainsOnHhRlhfWithTheFullLlama2Vocabulary(@TempDir Path out) throws IOException {
        PreferenceReader.Data data = PreferenceReader.read(TestData.require("preferences/hh-rlhf-harmless-base-test.jsonl.gz"), null);
        List<PreferencePair> pairs = new ArrayList<>();
        int fallbacks;
        try (LlamaModel m = LlamaModel.load(TestData.tinyRandomLlama2())) {
            PairEncoder enc = new PairEncoder(m.tokenizer(), null);
            RowFindings findings = new RowFindings(false);
            pairs.addAll(enc.encodeAll(data.examples().subList(0, 48), findings));
            fallbacks = findings.count(RowFindings.Kind.BOUNDARY_RETOKENIZED);
        }
        List<String> messages = new ArrayList<>();
        TrainListener listener = new Collecting(messages);
        TrainConfig cfg = config().maxSteps(4).maxLength(256).maxPromptLength(128).learningRate(1e-3).build();
        TrainResult r = new DpoTrainer(cfg).cacheDir(cache)
                .train(TestData.tinyRandomLlama2(), pairs.subList(0, 40), pairs.subList(40, 48), out, null, listener);
        System.out.printf("hh-rlhf: %d pairs, %d truncated, %d boundary fallbacks, %d steps, last loss %.4f, %.0f tokens/s%n",
                pairs.size(), r.truncatedPairs(), fallbacks, r.steps(), r.lastTrain().loss(), r.tokensPerSecond());
        assertEquals(4, r.steps());
        assertTrue(r.truncatedPairs() > 0, "HH-RLHF transcripts exceed 256 tokens");
        assertTrue(messages.stream().anyMatch(s -> s.startsWith(r.truncatedPairs() + " of 48 pairs truncated to max_length 256")), String.valueOf(messages));
        assertTrue(Double.isFinite(r.lastTrain().loss()));
        assertTrue(Double.isFinite(r.lastEval().loss()));
    }
}
