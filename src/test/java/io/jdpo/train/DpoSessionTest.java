package io.jdpo.train;

import io.jdpo.adapter.AdapterFile;
import io.jdpo.data.PreferencePair;
import io.jdpo.progress.TrainListener;
import io.jdpo.testing.TestData;
import io.jdpo.testing.ThemePairs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A session is the trainer, driven from outside: fed the same pairs, its steps give the adapter
 * {@link DpoTrainer#train} gives, bit for bit. The loss is CPO (it reads chosen and rejected but
 * no reference), so both runs see the same (zero) reference; with a reference, train() scores
 * only the pairs its steps read, a different llama.cpp batch whose log-probs differ by ~1e-6.
 */
class DpoSessionTest {
    @Test
    void aSessionOnTheSamePairsEqualsTrain(@TempDir Path dir) throws Exception {
        Path model = TestData.stories260K();
        List<PreferencePair> pairs = ThemePairs.tokenized(model).train();
        TrainConfig cfg = TrainConfig.defaults().toBuilder().rank(4).alpha(8).learningRate(5e-3).batchSize(2).maxSteps(5)
                .loss(LossType.CPO).threads(2).seed(3).build();
        TrainResult r = new DpoTrainer(cfg).cacheDir(null).train(model, pairs, List.of(), dir.resolve("train"), null, TrainListener.SILENT);
        List<ReferenceScorer.Scores> refs = pairs.stream()
                .map(p -> new ReferenceScorer.Scores(new float[p.chosen().length], new float[p.rejected().length])).toList();
        Path adapter = dir.resolve("session.gguf");
        List<DpoMetrics> rows;
        try (DpoTrainer.Session s = new DpoTrainer(cfg).session(model)) {
            rows = s.train(pairs, refs, 3);
            rows = new java.util.ArrayList<>(rows);
            rows.addAll(s.train(pairs, refs, 2));
            assertEquals(5, s.step());
            s.writeAdapter(adapter);
            assertThrows(IllegalArgumentException.class, () -> s.train(pairs, refs, 1), "the schedule has 5 steps");
            assertThrows(IllegalArgumentException.class, () -> s.train(pairs, refs.subList(1, refs.size()), 1));
        }
        assertEquals(r.lastTrain().loss(), rows.getLast().loss(), "the last step's loss");
        AdapterFile a = AdapterFile.read(r.adapter()), b = AdapterFile.read(adapter);
        assertEquals(a.pairs().keySet(), b.pairs().keySet());
        a.pairs().forEach((name, p) -> {
            assertArrayEquals(p.a(), b.pairs().get(name).a(), name + " A");
            assertArrayEquals(p.b(), b.pairs().get(name).b(), name + " B");
        });
        assertTrue(a.pairs().values().stream().anyMatch(p -> {
            for (float v : p.b()) if (v != 0) return true;
            return false;
        }), "B moved from zero");
    }
}
