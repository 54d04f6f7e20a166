package example;

import io.jdpo.data.PairLoader;
import io.jdpo.data.PreferencePair;
import io.jdpo.data.PreferenceReader;
import io.jdpo.progress.ConsoleProgress;
import io.jdpo.train.DpoTrainer;
import io.jdpo.train.TrainConfig;
import io.jdpo.train.TrainResult;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Trains a LoRA adapter with DPO from Java: java --add-modules jdk.incubator.vector ...
 * example.TrainDpo MODEL.gguf PREFS.jsonl OUT_DIR
 */
public final class TrainDpo {
    public static void main(String[] args) throws IOException {
        Path model = Path.of(args[0]);
        List<PreferencePair> pairs;
        try (PairLoader loader = PairLoader.open(model, null)) {   // the model's own chat template, checked here
            PreferenceReader.Data d = PreferenceReader.read(Path.of(args[1]), null);
            pairs = loader.encode(d);                                // rows repaired or skipped are counted
            System.out.println(d.findings().summary());
        }
        TrainConfig cfg = TrainConfig.defaults().toBuilder().beta(0.1).learningRate(5e-4).maxSteps(20).build();
        TrainResult r = new DpoTrainer(cfg).train(model, pairs, List.of(), Path.of(args[2]), null,
                new ConsoleProgress(System.out, false));
        System.out.printf("adapter %s after %d steps: loss %.4f, reward margin %.4f%n",
                r.adapter(), r.steps(), r.lastTrain().loss(), r.lastTrain().rewardsMargins());
    }
}
