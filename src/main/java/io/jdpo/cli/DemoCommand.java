package io.jdpo.cli;

import io.jdpo.export.AdapterExporter;
import io.jdpo.export.AdapterFile;
import io.jdpo.export.MergeVerifier;
import io.jdpo.export.Merger;
import io.jdpo.gguf.GgmlType;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.ModelParams;
import io.jdpo.report.HtmlReport;
import io.jdpo.train.BeforeAfter;
import io.jdpo.train.ConsoleProgress;
import io.jdpo.train.DemoPreferences;
import io.jdpo.train.DpoTrainer;
import io.jdpo.train.PairEncoder;
import io.jdpo.train.PreferenceExample;
import io.jdpo.train.PreferencePair;
import io.jdpo.train.PreferenceReader;
import io.jdpo.train.RegexReward;
import io.jdpo.train.TrainConfig;
import io.jdpo.train.TrainResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** The whole pipeline on the demo model and preference set: the README's main job. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the whole pipeline on the demo model: reference scoring, DPO training with progress, the HTML report,",
                "adapter and merged exports, and llama.cpp generations before and after with the demo's reward."},
        footer = {"", "Example:", "  jdpo demo -o runs/demo"})
final class DemoCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();
    @Option(names = "--model", description = "GGUF model (default: models/demo.gguf)")
    Path model;
    @Option(names = {"-o", "--output"}, defaultValue = "runs/demo", description = "output folder (default ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "--steps", defaultValue = "40", description = "DPO steps (default ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--data", description = "demo preference set (default: demo-prefs.jsonl beside the model, else generated)")
    Path data;
    @Option(names = "--quiet", description = "no progress lines")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        Path m = model != null ? model : Path.of("models", "demo.gguf");
        if (!Files.isRegularFile(m)) throw new IllegalArgumentException("demo model " + m + " not found; pass --model FILE.gguf");
        Files.createDirectories(out);
        Path prefs = data != null ? data : m.resolveSibling("demo-prefs.jsonl");
        List<PreferenceExample> examples = Files.isRegularFile(prefs) ? PreferenceReader.read(prefs, null).examples()
                : DemoPreferences.generate(DemoPreferences.PAIRS, DemoPreferences.SEED);
        Files.writeString(out.resolve("demo-prefs.jsonl"), DemoPreferences.jsonl(examples));
        List<PreferencePair> train = new ArrayList<>(), eval = new ArrayList<>();
        try (LlamaModel lm = LlamaModel.load(m, ModelParams.defaults().withVocabOnly(true))) {
            PairEncoder enc = new PairEncoder(lm.tokenizer(), null);
            for (int i = 0; i < examples.size(); i++) (i % 8 == 7 ? eval : train).add(enc.encode(examples.get(i)));
        }
        System.out.printf("demo: %s, %d preference pairs (%d train, %d held out): chosen stories bring in a dog, rejected ones something else%n",
                m, examples.size(), train.size(), eval.size());
        TrainConfig cfg = TrainConfig.defaults().toBuilder().rank(8).alpha(16).learningRate(1e-3).batchSize(4).maxSteps(steps)
                .evalEvery(Math.max(1, steps / 4)).threads(common.threads()).seed(7).build();
        TrainResult r = new DpoTrainer(cfg).cacheDir(out.resolve("reference-cache"))
                .train(m, train, eval, out, null, new ConsoleProgress(System.out, quiet, 10));
        // Before training the policy is the reference model, so step-0 margins are only the two
        // engines' rounding (about 1e-7) and an accuracy over them would be a coin toss: show
        // the margins, and the accuracy once there is something to rank.
        System.out.printf(Locale.ROOT, "trained %d steps in %.0f s (%.0f tokens/s); held-out reward margin %.3f -> %.3f, accuracy %.2f%n",
                r.steps(), r.seconds(), r.tokensPerSecond(), roundedMargin((double) r.firstEval().get("eval_rewards/margins")),
                (double) r.lastEval().get("eval_rewards/margins"), (double) r.lastEval().get("eval_rewards/accuracies"));

        // Before/after generations from held-out prompts, scored by the demo reward.
        RegexReward reward = RegexReward.of(DemoPreferences.REWARD, null);
        List<int[]> prompts = new ArrayList<>();
        for (PreferencePair p : eval) prompts.add(p.prompt());
        List<HtmlReport.Sample> samples = new ArrayList<>();
        double before = 0, after = 0;
        for (BeforeAfter.Generation g : BeforeAfter.generate(m, r.adapter(), prompts, 32, common.threads())) {
            double b = reward.score(g.before()), a = reward.score(g.after());
            before += b;
            after += a;
            samples.add(new HtmlReport.Sample(g.prompt(), g.before(), g.after(), b, a));
        }
        before /= prompts.size();
        after /= prompts.size();
        HtmlReport.Sample first = samples.getFirst();
        System.out.printf("prompt: %s%n  before: %s%n  after:  %s%n", first.prompt(), first.before().strip(), first.after().strip());
        System.out.printf(Locale.ROOT, "demo reward (dogs per generation, %d held-out prompts, greedy, 32 tokens): before %.2f -> after %.2f%n",
                prompts.size(), before, after);

        Path report = out.resolve("report.html");
        HtmlReport.write(report, "jdpo demo: " + m.getFileName(), TrainCommand.readMetrics(r.metrics()), TrainCommand.configTable(cfg), samples);
        AdapterFile adapter = AdapterFile.read(r.adapter());
        Path f16 = out.resolve("adapter-f16.gguf");
        AdapterExporter.write(f16, adapter.architecture(), adapter.alpha(), adapter.pairs(), adapter.provenance(), GgmlType.F16);
        Path merged = out.resolve("merged.gguf");
        Merger.Result mr = Merger.merge(m, List.of(new Merger.Input(adapter, 1f)), merged, Merger.Options.defaults(), Map.of(), null);
        List<MergeVerifier.Pair> check = new ArrayList<>();
        for (PreferencePair p : eval) check.add(new MergeVerifier.Pair(p.prompt(), p.chosen(), p.rejected()));
        MergeVerifier.Report v = MergeVerifier.verify(m, Map.of(r.adapter(), 1f), merged, check, common.threads());
        System.out.printf(Locale.ROOT, "merged %d tensors into %s; KL(base+adapter || merged) %.1e nats/token; reward accuracy %.2f / %.2f%n",
                mr.merged(), merged, v.meanKl(), v.accuracyAdapter(), v.accuracyMerged());
        System.out.printf("outputs: %s (report), %s, %s, %s, %s%n", report, r.adapter(), f16, merged, r.metrics());
        if (!(after > before)) {
            System.out.println("demo: the preferred behaviour did not rise");
            return 1;
        }
        return 0;
    }

    /** A margin as printed to three decimals, without a "-0.000" for rounding noise below them. */
    private static double roundedMargin(double m) {
        return Math.abs(m) < 5e-4 ? 0 : m;
    }
}
