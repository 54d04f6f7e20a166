package io.jdpo.cli;

import io.jdpo.loop.Frontier;
import io.jdpo.progress.ConsoleProgress;
import io.jdpo.report.FrontierPage;
import io.jdpo.verify.Reward;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** The DPO paper's reward-KL frontier for a model, prompts and a reward. */
@Command(name = "frontier", mixinStandardHelpOptions = true,
        description = {"The DPO paper's Figure 2 in miniature: pairs sampled from the reference and labelled by the reward; DPO at",
                "beta 0.05, 0.1, 1, 5 and Preferred-FT trained on them, each evaluated every N steps as (KL(pi||pi_ref), mean reward)",
                "from samples scored in llama.cpp; Best-of-N at its KL bound. Writes points.jsonl, points.csv and frontier.html."},
        footer = {"", "Examples:", "  jdpo frontier models/demo.gguf --demo-task -o runs/frontier",
                "  jdpo frontier models/demo.gguf --demo-task --quick -o runs/frontier-quick"})
final class FrontierCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();
    @Mixin
    LoopOptions loop = new LoopOptions();
    @Parameters(index = "0", description = "base GGUF model (the reference)")
    Path model;
    @Option(names = {"-o", "--output"}, defaultValue = "runs/frontier", description = "output folder (default ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "-k", defaultValue = "8", description = "reference samples per training prompt ranked into a pair (default ${DEFAULT-VALUE})")
    int k;
    @Option(names = "--steps", defaultValue = "60", description = "optimizer steps per method (default ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--eval-every", defaultValue = "10", description = "steps between evaluations (default ${DEFAULT-VALUE})")
    int evalEvery;
    @Option(names = "--eval-samples", defaultValue = "8", description = "M, samples per held-out prompt at each evaluation (default ${DEFAULT-VALUE})")
    int evalSamples;
    @Option(names = "--max-n", defaultValue = "64", description = "largest N of Best-of-N (powers of two up to it; default ${DEFAULT-VALUE})")
    int maxN;
    @Option(names = "--quick", description = "a small setting for tests: 16 training and 4 held-out prompts, 12 steps evaluated every 6, M = 4, N up to 16, 12 tokens")
    boolean quick;
    @Option(names = "--quiet", description = "no progress, only the summary")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        LoopOptions.Prompts p = loop.prompts();
        List<Integer> ns = new ArrayList<>();
        for (int n = 1; n <= maxN; n *= 2) ns.add(n);
        Frontier.Config cfg = new Frontier.Config(k, steps, evalEvery, evalSamples, ns, loop.sampling(common.threads()));
        if (quick) {
            p = new LoopOptions.Prompts(p.train().subList(0, Math.min(Frontier.QUICK_TRAIN_PROMPTS, p.train().size())),
                    p.eval().subList(0, Math.min(Frontier.QUICK_EVAL_PROMPTS, p.eval().size())));
            cfg = Frontier.quick(cfg);
        }
        Reward reward = loop.reward(common.threads());
        try {
            Frontier.Result r = Frontier.run(model, p.train(), p.eval(), reward, Frontier.paperMethods(loop.trainConfig(common.threads())),
                    cfg, out, loop.initAdapter, new ConsoleProgress(System.out, quiet));
            for (FrontierPage.Point pt : r.points()) {
                System.out.printf(Locale.ROOT, "%-14s %4d  KL %8.4f  reward %.4f%n", pt.method(), pt.step(), pt.kl(), pt.reward());
            }
            System.out.printf(Locale.ROOT, "%d pairs (%d ties); %.0f s; outputs: %s, %s, %s%n", r.pairs(), r.ties(), r.seconds(), r.html(), r.jsonl(), r.csv());
            return 0;
        } finally {
            if (reward instanceof AutoCloseable c) c.close();
        }
    }
}
