package io.jdpo.cli;

import io.jdpo.demo.DemoRun;
import io.jdpo.progress.ConsoleProgress;
import io.jdpo.train.TrainResult;
import io.jdpo.verify.BeforeAfter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
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
        DemoRun.Result d = DemoRun.run(model != null ? model : Path.of("models", "demo.gguf"), data, out, steps, common.threads(),
                new ConsoleProgress(System.out, quiet, 10));
        TrainResult r = d.training();
        // Before training the policy is the reference model, so step-0 margins are only the two
        // engines' rounding (about 1e-7) and an accuracy over them would be a coin toss: show
        // the margins, and the accuracy once there is something to rank.
        System.out.printf(Locale.ROOT, "trained %d steps in %.0f s (%.0f tokens/s); held-out reward margin %.3f -> %.3f, accuracy %.2f%n",
                r.steps(), r.seconds(), r.tokensPerSecond(), roundedMargin(r.firstEval().rewardsMargins()),
                r.lastEval().rewardsMargins(), r.lastEval().rewardsAccuracies());
        BeforeAfter.Scored first = d.generations().samples().getFirst();
        System.out.printf("prompt: %s%n  before: %s%n  after:  %s%n", first.prompt(), first.before().strip(), first.after().strip());
        System.out.printf(Locale.ROOT, "demo reward (dogs per generation, %d held-out prompts, greedy, %d tokens): before %.2f -> after %.2f%n",
                d.generations().samples().size(), DemoRun.SAMPLE_TOKENS, d.generations().meanBefore(), d.generations().meanAfter());
        System.out.printf(Locale.ROOT, "merged %d tensors into %s; KL(base+adapter || merged) %.1e nats/token; reward accuracy %.2f / %.2f%n",
                d.merge().merged(), d.merged(), d.mergeCheck().meanKl(), d.mergeCheck().accuracyAdapter(), d.mergeCheck().accuracyMerged());
        System.out.printf("outputs: %s (report), %s, %s, %s, %s%n", d.report(), r.adapter(), d.adapterF16(), d.merged(), r.metrics());
        if (!d.rewardRose()) {
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
