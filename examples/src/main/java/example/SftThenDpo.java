package example;

import io.jdpo.data.PairLoader;
import io.jdpo.data.PreferencePair;
import io.jdpo.data.PreferenceReader;
import io.jdpo.data.RowFindings;
import io.jdpo.data.SftReader;
import io.jdpo.data.SftSample;
import io.jdpo.progress.ConsoleProgress;
import io.jdpo.train.DpoTrainer;
import io.jdpo.train.InitAdapter;
import io.jdpo.train.SftResult;
import io.jdpo.train.SftTrainer;
import io.jdpo.train.TrainConfig;
import io.jdpo.train.TrainResult;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Supervised fine-tuning on the chosen completions, then DPO from that adapter with base + the
 * SFT adapter as reference: java --add-modules jdk.incubator.vector ... example.SftThenDpo
 * MODEL.gguf PREFS.jsonl OUT_DIR
 */
public final class SftThenDpo {
    public static void main(String[] args) throws IOException {
        Path model = Path.of(args[0]), data = Path.of(args[1]), out = Path.of(args[2]);
        List<SftSample> samples;
        List<PreferencePair> pairs;
        try (PairLoader loader = PairLoader.open(model, null)) {
            samples = loader.encodeSft(SftReader.read(data, null, new RowFindings(false)));   // or prompt/completion, messages, text rows
            pairs = loader.encode(PreferenceReader.read(data, null));
        }
        TrainConfig cfg = TrainConfig.defaults().toBuilder().learningRate(1e-3).maxSteps(20).build();
        SftResult sft = new SftTrainer(cfg).train(model, samples, List.of(), out.resolve("sft"), null,
                new ConsoleProgress(System.out, false));
        System.out.printf("SFT: loss %.4f, token accuracy %.3f%n", sft.lastTrain().loss(), sft.lastTrain().meanTokenAccuracy());
        TrainConfig dpo = InitAdapter.read(sft.adapter()).fit(cfg.toBuilder().beta(0.1).build());   // the SFT adapter's shape
        TrainResult r = new DpoTrainer(dpo).initAdapter(sft.adapter()).train(model, pairs, List.of(), out.resolve("dpo"), null,
                new ConsoleProgress(System.out, false));
        System.out.printf("DPO after SFT: adapter %s, reward margin %.4f%n", r.adapter(), r.lastTrain().rewardsMargins());
    }
}
