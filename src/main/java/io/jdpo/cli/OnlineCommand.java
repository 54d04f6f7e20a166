package io.jdpo.cli;

import io.jdpo.loop.OnlineDpo;
import io.jdpo.progress.ConsoleProgress;
import io.jdpo.verify.Reward;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Online DPO as its own command: it reads prompts and a reward, not preference pairs, and its
 * rounds have no resume or checkpoint semantics that train's options would promise.
 */
@Command(name = "online", mixinStandardHelpOptions = true,
        description = {"Online DPO: each round llama.cpp samples K completions per prompt from base + the current adapter (hot-swapped,",
                "never reloaded), the reward ranks them, best and worst become a pair (ties dropped), and DPO steps follow."},
        footer = {"", "Examples:", "  jdpo online models/demo.gguf --demo-task -o runs/online",
                "  jdpo online model.gguf --prompts prompts.jsonl --reward-regex '\\bdog\\b' --rounds 8 -k 4 --temp 0.9 --stop '\\n\\n'"})
final class OnlineCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();
    @Mixin
    LoopOptions loop = new LoopOptions();
    @Parameters(index = "0", description = "base GGUF model (policy base and reference)")
    Path model;
    @Option(names = {"-o", "--output"}, defaultValue = "runs/online", description = "output folder (default ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "--rounds", defaultValue = "6", description = "sample-rank-train rounds (default ${DEFAULT-VALUE})")
    int rounds;
    @Option(names = "-k", defaultValue = "4", description = "completions sampled per prompt each round, K >= 2 (default ${DEFAULT-VALUE})")
    int k;
    @Option(names = "--steps-per-round", defaultValue = "8", description = "optimizer steps per round (default ${DEFAULT-VALUE})")
    int stepsPerRound;
    @Option(names = "--eval-samples", defaultValue = "4", description = "samples per held-out prompt at each evaluation (default ${DEFAULT-VALUE})")
    int evalSamples;
    @Option(names = "--overwrite", description = "replace the results of an earlier run in the output folder")
    boolean overwrite;
    @Option(names = "--quiet", description = "no progress, only the summary")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        LoopOptions.Prompts p = loop.prompts();
        Reward reward = loop.reward(common.threads());
        try {
            OnlineDpo.Result r = OnlineDpo.run(model, p.train(), p.eval(), reward, loop.trainConfig(common.threads()),
                    new OnlineDpo.Config(rounds, k, stepsPerRound, evalSamples, loop.sampling(common.threads())), out, loop.initAdapter, overwrite,
                    new ConsoleProgress(System.out, quiet, stepsPerRound));
            if (r.before() != null) {
                OnlineDpo.Round last = r.rounds().getLast();
                System.out.printf(Locale.ROOT, "held-out reward %.3f -> %.3f over %d rounds (%d prompts x %d samples); KL(policy || base) %.4f nats per completion%n",
                        r.before().scores(), last.heldOut().scores(), rounds, p.eval().size(), evalSamples, last.heldOut().kl());
            }
            double swap = r.rounds().stream().mapToDouble(OnlineDpo.Round::swapSeconds).average().orElse(0);
            System.out.printf(Locale.ROOT, "adapter hot-swap: %.1f ms on average; outputs: %s, %s%n", swap * 1e3, r.adapter(), r.metrics());
            return 0;
        } finally {
            if (reward instanceof AutoCloseable c) c.close();
        }
    }
}
