package io.jdpo.export;

import io.jdpo.adapter.AdapterFile;
import io.jdpo.verify.CalibratedMerge;
import io.jdpo.verify.MergeVerifier;
import io.jdpo.gguf.GgufFile;
import io.jdpo.gguf.GgufTensorInfo;
import io.jdpo.gguf.ImportanceMatrix;
import io.jdpo.llama.FileType;
import io.jdpo.llama.ModelQuantizer;
import io.jdpo.model.ImportanceCollector;
import io.jdpo.model.LoraTarget;
import io.jdpo.model.Transformer;
import io.jdpo.testing.TestData;
import io.jdpo.testing.ThemePairs;
import io.jdpo.testing.TestModelFactory;
import io.jdpo.train.DpoTrainer;
import io.jdpo.data.PreferencePair;
import io.jdpo.train.TrainConfig;
import io.jdpo.progress.TrainListener;
import io.jdpo.train.TrainResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The merge users ship: a LoRA adapter trained by DPO on the dog task, merged into a 4-bit
 * base in the base's own types, measured in llama.cpp on held-out pairs against base +
 * adapter, next to the merge made before delta requantization (every block refitted by ggml)
 * and the peer route (llama-export-lora to F16, then llama-quantize to the base's type).
 */
class QuantizedMergeTest {
    /** The dog task of DpoTrainerTest: the last five names are held out. */
    static List<List<PreferencePair>> pairs(Path model) {
        ThemePairs.Split s = ThemePairs.tokenized(model);
        return List.of(s.train(), s.eval());
    }

    record Row(String route, MergeVerifier.Report report, long bytes) {
    }

    static List<Row> scenario(Path base, Path dir, int steps, double lr) throws Exception {
        List<List<PreferencePair>> data = pairs(base);
        TrainConfig cfg = TrainConfig.defaults().toBuilder().rank(8).alpha(16).learningRate(lr).batchSize(4).threads(2)
                .targets(LoraTarget.all()).warmupRatio(0.1).seed(7).maxSteps(steps).evalEvery(steps).force(true).build();
        TrainResult t = new DpoTrainer(cfg).cacheDir(dir.resolve("cache")).train(base, data.get(0), data.get(1), dir.resolve("run"), null, TrainListener.SILENT);
        Path adapter = t.adapter();
        ImportanceMatrix im;
        try (Transformer tf = Transformer.load(base, 2)) {
            ImportanceCollector c = new ImportanceCollector(tf, true);
            for (PreferencePair p : data.get(0)) c.addPair(p.prompt(), p.chosen(), p.rejected());
            im = c.result("dog task");
        }
        List<Merger.Input> in = List.of(new Merger.Input(AdapterFile.read(adapter), 1f));
        Path plain = dir.resolve("plain.gguf"), delta = dir.resolve("delta.gguf"), stochastic = dir.resolve("stochastic.gguf"),
                compensated = dir.resolve("compensated.gguf"), aligned = dir.resolve("aligned.gguf"), alignedNoData = dir.resolve("aligned-no-imatrix.gguf"),
                peer = dir.resolve("peer.gguf"), calibrated = dir.resolve("calibrated.gguf");
        Merger.merge(base, in, plain, Merger.Options.defaults().withRequantization(Merger.Requantization.PLAIN).withImportance(im), Map.of(), null);
        Merger.Result rd = Merger.merge(base, in, delta, Merger.Options.defaults().withImportance(im)
                .withRounding(DeltaRequantizer.Rounding.NEAREST), Map.of(), null);
        Merger.Result rs = Merger.merge(base, in, stochastic, Merger.Options.defaults().withImportance(im)
                .withRounding(DeltaRequantizer.Rounding.STOCHASTIC), Map.of(), null);
        Merger.Result rc = Merger.merge(base, in, compensated, Merger.Options.defaults().withImportance(im)
                .withRounding(DeltaRequantizer.Rounding.COMPENSATED), Map.of(), null);
        Merger.Result ra = Merger.merge(base, in, aligned, Merger.Options.defaults().withImportance(im), Map.of(), null);
        Merger.Result rn = Merger.merge(base, in, alignedNoData, Merger.Options.defaults(), Map.of(), null);
        // Calibrated on the training pairs (the imatrix computed inside from them too); measured below on the held-out ones.
        CalibratedMerge.Result cal = CalibratedMerge.write(base, in, calibrated, Merger.Options.defaults(), data.get(0),
                CalibratedMerge.MAX_CANDIDATES, 2, System.out::println);
        PeerMerge.write(base, Map.of(adapter, 1f), peer, 2);
        System.out.printf("%s: blocks nearest %s; stochastic %s; compensated %s; aligned %s; aligned without imatrix %s%n", base.getFileName(),
                rd.blocks(), rs.blocks(), rc.blocks(), ra.blocks(), rn.blocks());
        List<PreferencePair> eval = data.get(1);
        List<Path> files = List.of(base, plain, peer, delta, stochastic, compensated, aligned, alignedNoData, calibrated);
        List<String> names = List.of("no merge (the base itself)", "plain requantization (ggml refits every block)",
                "peer: llama-export-lora F16 + llama-quantize", "delta, nearest", "delta, stochastic", "delta, compensated",
                "delta, aligned (default) with the imatrix's second moments", "delta, aligned (default) without an imatrix",
                "calibrated: best of " + cal.candidates().size() + " on the training pairs (along weight " + cal.candidates().get(cal.chosen()).alongWeight() + ")");
        List<MergeVerifier.Report> reports = MergeVerifier.verify(base, Map.of(adapter, 1f), files, eval, 2);
        List<Row> rows = new ArrayList<>();
        System.out.printf("%s (adapter: held-out accuracy %.2f -> %.2f in training, %d steps)%n", base.getFileName(),
                t.firstEval().rewardsAccuracies(), t.lastEval().rewardsAccuracies(), t.steps());
        System.out.println("| route | mean KL (max) per token | reward accuracy base+adapter -> merged | file size |");
        for (int i = 0; i < files.size(); i++) {
            MergeVerifier.Report r = reports.get(i);
            long size = Files.size(files.get(i));
            rows.add(new Row(names.get(i), r, size));
            System.out.printf("| %s | %.2e (%.2e) | %.3f -> %.3f | %d (%+.2f%%) |%n", names.get(i), r.meanKl(), r.maxKl(), r.accuracyAdapter(),
                    r.accuracyMerged(), size, 100.0 * (size - Files.size(base)) / Files.size(base));
        }
        for (Path merged : List.of(aligned, calibrated)) {
            try (GgufFile b = GgufFile.open(base); GgufFile o = GgufFile.open(merged)) {
                for (GgufTensorInfo ti : b.tensors()) assertEquals(ti.type(), o.tensor(ti.name()).type(), "the base's type kept: " + ti.name());
            }
        }
        try (var left = Files.list(dir)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().contains(".candidates-")), "the candidates' folder is removed");
        }
        return rows;
    }

    static void assertEvidence(List<Row> rows, Path base) throws IOException {
        // The bar, 0.02 nats per token, holds for the calibrated merge; the single aligned
        // rounding (with or without the importance matrix) lands around it (0.018 to 0.028 over
        // adapters, README "Merging") and is held to the peers.
        Row noMerge = rows.get(0), plain = rows.get(1), peer = rows.get(2), aligned = rows.get(6), alignedNoData = rows.get(7), calibrated = rows.get(8);
        assertTrue(calibrated.report().meanKl() <= 0.02, calibrated.route() + ": mean KL " + calibrated.report().meanKl());
        for (Row r : List.of(aligned, alignedNoData, calibrated)) {
            assertTrue(r.report().meanKl() < 0.5 * peer.report().meanKl(), r.route() + ": mean KL " + r.report().meanKl() + " vs peer " + peer.report().meanKl());
            assertEquals(r.report().accuracyAdapter(), r.report().accuracyMerged(), r.route() + ": reward accuracy unchanged");
            assertTrue(Math.abs(r.bytes() - Files.size(base)) <= 0.02 * Files.size(base), r.route() + ": size " + r.bytes());
            assertTrue(r.report().meanKl() < peer.report().meanKl(), r.route() + " vs the peer route " + peer.report().meanKl());
            assertTrue(r.report().meanKl() < plain.report().meanKl(), r.route() + " vs plain requantization " + plain.report().meanKl());
            assertTrue(r.report().meanKl() < noMerge.report().meanKl(), r.route() + " keeps the update: KL without it " + noMerge.report().meanKl());
        }
    }

    @Test
    void stories260KAtQ4_0(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("stories260K-Q4_0.gguf");
        ModelQuantizer.quantize(TestData.stories260K(), base, FileType.Q4_0, 2);
        assertEvidence(scenario(base, dir, 30, 5e-4), base);
    }

    @Test
    void generatedLlamaAtQ4_K_M(@TempDir Path dir) throws Exception {
        var shape = new TestModelFactory.Shape(256, 2, 4, 2, 512, 256);
        Path base = TestModelFactory.quantized(TestData.stories260K(), shape, 5, FileType.Q4_K_M, dir);
        assertEvidence(scenario(base, dir, 30, 5e-4), base);
    }
}
