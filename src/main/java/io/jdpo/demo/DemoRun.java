package io.jdpo.demo;

import io.jdpo.adapter.AdapterExporter;
import io.jdpo.adapter.AdapterFile;
import io.jdpo.data.PairLoader;
import io.jdpo.data.PreferenceExample;
import io.jdpo.data.PreferencePair;
import io.jdpo.data.PreferenceReader;
import io.jdpo.export.Merger;
import io.jdpo.gguf.GgmlType;
import io.jdpo.progress.TrainListener;
import io.jdpo.report.HtmlReport;
import io.jdpo.train.DpoTrainer;
import io.jdpo.train.MetricsLog;
import io.jdpo.train.TrainConfig;
import io.jdpo.train.TrainResult;
import io.jdpo.verify.BeforeAfter;
import io.jdpo.verify.MergeVerifier;
import io.jdpo.verify.RegexReward;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The whole pipeline on the demo model and preference set (the README's main job): reference
 * scoring and DPO training, the HTML report, the adapter in F16, the merged model verified in
 * llama.cpp, and greedy generations before and after scored by the demo's reward.
 */
public final class DemoRun {
    /** Greedy tokens generated from each held-out prompt, before and after. */
    public static final int SAMPLE_TOKENS = 32;

    /**
     * What the run made and measured.
     *
     * @param model       the demo model trained from
     * @param trainPairs  pairs trained on (7 of every 8 encoded)
     * @param evalPairs   pairs held out (every 8th), whose prompts also seed the generations
     * @param training    the trainer's result: adapter, metrics file, last metrics
     * @param generations greedy generations from the held-out prompts before and after, with their rewards
     * @param report      the HTML report, {@code out/report.html}
     * @param adapterF16  the adapter re-exported in F16, {@code out/adapter-f16.gguf}
     * @param merged      the model with the adapter merged in, {@code out/merged.gguf}
     * @param merge       what the merge wrote
     * @param mergeCheck  llama.cpp's scores of the merged model against base + adapter
     */
    public record Result(Path model, int trainPairs, int evalPairs, TrainResult training, BeforeAfter.Result generations,
                         Path report, Path adapterF16, Path merged, Merger.Result merge, MergeVerifier.Report mergeCheck) {
        /** {@return whether the preferred behaviour rose: more dogs per generation after training than before} */
        public boolean rewardRose() {
            return generations.meanAfter() > generations.meanBefore();
        }
    }

    private DemoRun() {
    }

    /**
     * Runs the pipeline into {@code out} (replacing an earlier demo there). {@code data} is the
     * preference set, or null for {@code demo-prefs.jsonl} beside the model (else generated).
     * Loads the llama.cpp native library; takes tens of seconds on the bundled demo model.
     *
     * @param model    the demo model (a Llama GGUF with a SentencePiece vocabulary)
     * @param data     a plain-text preference file, or null
     * @param out      the output folder, created if needed; earlier demo files in it are overwritten
     * @param steps    optimizer steps of the DPO run
     * @param threads  worker threads for training, generation and verification
     * @param progress receives progress and messages
     * @return what was made and measured
     * @throws IllegalArgumentException if {@code model} is not a file
     * @throws IOException              if a file cannot be read or written
     */
    public static Result run(Path model, Path data, Path out, int steps, int threads, TrainListener progress) throws IOException {
        if (!Files.isRegularFile(model)) throw new IllegalArgumentException("demo model " + model + " not found; pass --model FILE.gguf");
        Files.createDirectories(out);
        Path prefs = data != null ? data : model.resolveSibling("demo-prefs.jsonl");
        List<PreferenceExample> examples = Files.isRegularFile(prefs) ? PreferenceReader.read(prefs, null).examples()
                : DemoPreferences.generate(DemoPreferences.PAIRS, DemoPreferences.SEED);
        Files.writeString(out.resolve("demo-prefs.jsonl"), DemoPreferences.jsonl(examples));
        List<PreferencePair> encoded, train = new ArrayList<>(), eval = new ArrayList<>();
        try (PairLoader loader = PairLoader.plainText(model)) {
            encoded = loader.encode(examples);
        }
        for (int i = 0; i < encoded.size(); i++) (i % 8 == 7 ? eval : train).add(encoded.get(i));
        progress.message(String.format("demo: %s, %d preference pairs (%d train, %d held out): chosen stories bring in a dog,"
                + " rejected ones something else", model, examples.size(), train.size(), eval.size()));
        TrainConfig cfg = TrainConfig.defaults().toBuilder().rank(8).alpha(16).learningRate(1e-3).batchSize(4).maxSteps(steps)
                .evalEvery(Math.max(1, steps / 4)).threads(threads).seed(7).build();
        TrainResult r = new DpoTrainer(cfg).overwrite(true).cacheDir(out.resolve("reference-cache"))
                .train(model, train, eval, out, null, progress);

        // Before/after generations from held-out prompts, scored by the demo reward.
        List<int[]> prompts = new ArrayList<>();
        for (PreferencePair p : eval) prompts.add(p.prompt());
        BeforeAfter.Result gens = BeforeAfter.scored(model, r.adapter(), prompts, SAMPLE_TOKENS, threads,
                RegexReward.of(DemoPreferences.REWARD, null));
        Path report = out.resolve("report.html");
        HtmlReport.write(report, "jdpo demo: " + model.getFileName(), MetricsLog.read(r.metrics()), cfg.table(),
                gens.samples().stream().map(g -> new HtmlReport.Sample(g.prompt(), g.before(), g.after(), g.rewardBefore(),
                        g.rewardAfter())).toList());

        AdapterFile adapter = AdapterFile.read(r.adapter());
        Path f16 = out.resolve("adapter-f16.gguf");
        AdapterExporter.write(f16, adapter.architecture(), adapter.alpha(), adapter.pairs(), adapter.provenance(), GgmlType.F16);
        Path merged = out.resolve("merged.gguf");
        Merger.Result mr = Merger.merge(model, List.of(new Merger.Input(adapter, 1f)), merged, Merger.Options.defaults(), Map.of(), null);
        MergeVerifier.Report v = MergeVerifier.verify(model, Map.of(r.adapter(), 1f), merged, eval, threads);
        return new Result(model, train.size(), eval.size(), r, gens, report, f16, merged, mr, v);
    }
}
