package io.jdpo.cli;

import io.jdpo.data.PromptFile;
import io.jdpo.demo.DemoPreferences;
import io.jdpo.loop.Sampling;
import io.jdpo.train.LrSchedule;
import io.jdpo.train.TrainConfig;
import io.jdpo.verify.RegexReward;
import io.jdpo.verify.Reward;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What `online` and `frontier` share: prompts, the reward, sampling settings, and the trainer's main settings. */
final class LoopOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;
    @Option(names = "--prompts", description = "training prompts: .jsonl of {\"prompt\": ...} (TRL's prompt-only format) or one per line")
    Path prompts;
    @Option(names = "--eval-prompts", description = "held-out prompts (default: every 8th of --prompts)")
    Path evalPrompts;
    @Option(names = "--demo-task", description = "the bundled demo's task: its story openings as prompts (every 8th held out) and, unless a reward is given, dogs per generation as the reward")
    boolean demoTask;
    @Mixin
    RewardOptions reward = new RewardOptions();
    @Option(names = "--init-adapter", description = "an SFT adapter (jdpo sft): the reference becomes base + it and the policy starts from it")
    Path initAdapter;
    @Option(names = "--temp", defaultValue = "1.0", description = "sampling temperature (default ${DEFAULT-VALUE})")
    float temperature;
    @Option(names = "--top-p", defaultValue = "1.0", description = "sampling top-p (default ${DEFAULT-VALUE})")
    float topP;
    @Option(names = {"-n", "--max-tokens"}, defaultValue = "24", description = "tokens per sampled completion (default ${DEFAULT-VALUE})")
    int maxTokens;
    @Option(names = "--stop", description = "stop string (repeatable)")
    List<String> stops = new ArrayList<>();
    @Option(names = "--seed", defaultValue = "7", description = "seed of sampling, adapter initialisation and data order (default ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--sample-threads", description = {"llama.cpp threads for sampling and scoring (default: -t's);",
            "1 where other jobs already fill the cores (ggml's workers spin on each other there)"})
    Integer sampleThreads;
    @Option(names = "--ngl", defaultValue = "-1", description = "layers llama.cpp offloads to the GPU for sampling and scoring, policy and reference (default: all, when built for a GPU)")
    int gpuLayers;
    @Option(names = "--beta", defaultValue = "0.1", description = "DPO β (default ${DEFAULT-VALUE})")
    double beta;
    @Option(names = "--lr", defaultValue = "1e-3", description = "learning rate, constant (default ${DEFAULT-VALUE})")
    double lr;
    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank (default ${DEFAULT-VALUE})")
    int rank;
    @Option(names = "--alpha", defaultValue = "16", description = "LoRA alpha (default ${DEFAULT-VALUE})")
    double alpha;
    @Option(names = "--batch-size", defaultValue = "4", description = "pairs per optimizer step (default ${DEFAULT-VALUE})")
    int batchSize;

    /** Training and held-out prompt texts. */
    record Prompts(List<String> train, List<String> eval) {
    }

    Prompts prompts() throws IOException {
        if ((prompts == null) == !demoTask) {
            throw new ParameterException(spec.commandLine(), "give --prompts FILE or --demo-task (one of them)");
        }
        List<String> all = demoTask ? DemoPreferences.prompts(DemoPreferences.PAIRS, DemoPreferences.SEED) : PromptFile.read(prompts);
        if (evalPrompts != null) return new Prompts(all, PromptFile.read(evalPrompts));
        List<String> train = new ArrayList<>(), eval = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) (i % 8 == 7 ? eval : train).add(all.get(i));
        return new Prompts(train, eval);
    }

    Reward reward(int threads) {
        Reward r = reward.reward(threads);
        if (r == null && demoTask) return RegexReward.of(DemoPreferences.REWARD, null);
        if (r == null) throw new ParameterException(spec.commandLine(), "give a reward: --reward-regex, --reward-command or --judge");
        return r;
    }

    Sampling sampling(int threads) {
        return new Sampling(temperature, topP, maxTokens, stops, seed, sampleThreads == null ? threads : sampleThreads, gpuLayers);
    }

    TrainConfig trainConfig(int threads) {
        return TrainConfig.defaults().toBuilder().rank(rank).alpha(alpha).learningRate(lr).schedule(LrSchedule.Kind.CONSTANT).warmupRatio(0)
                .batchSize(batchSize).beta(beta).seed(seed).threads(threads).gpuLayers(gpuLayers).build();
    }
}
