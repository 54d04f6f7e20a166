package io.jdpo.cli;

import io.jdpo.verify.BeforeAfter;
import io.jdpo.progress.ConsoleProgress;
import io.jdpo.verify.PreferenceEvaluator;
import io.jdpo.data.PairLoader;
import io.jdpo.data.PreferencePair;
import io.jdpo.verify.PreferenceMetrics;
import io.jdpo.data.PreferenceReader;
import io.jdpo.verify.Reward;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** Preference accuracy and margins of a model with adapters against the model alone; optionally a generation-based reward. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluate adapters on preference data in llama.cpp: reward accuracy and margins against the base as reference,",
                "and with --reward-regex, --reward-command or --judge the generations' reward before and after."},
        footer = {"", "Example:", "  jdpo eval model.gguf --data heldout.jsonl --lora runs/dpo/adapter.gguf --reward-regex '\\bdog\\b'"})
final class EvalCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();
    @Parameters(index = "0", description = "base GGUF model (the reference)")
    Path model;
    @Option(names = "--data", required = true, description = "preference data")
    Path data;
    @Option(names = "--lora", required = true, description = "adapter FILE[:SCALE] (repeatable)")
    List<String> loras;
    @Option(names = "--beta", defaultValue = "0.1", description = "β of the implicit rewards (default ${DEFAULT-VALUE})")
    double beta;
    @Option(names = "--max-pairs", defaultValue = "200", description = "pairs evaluated (default ${DEFAULT-VALUE})")
    int maxPairs;
    @Option(names = "--format", description = "data format (default: detected)")
    String format;
    @Option(names = "--template", description = "chat template (default: the model's own)")
    String template;
    @Mixin
    RewardOptions rewardOptions = new RewardOptions();
    @Option(names = "--gen-tokens", defaultValue = "48", description = "tokens per generation (default ${DEFAULT-VALUE})")
    int genTokens;
    @Option(names = "--quiet", description = "no progress line")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        Map<Path, Float> adapters = new LinkedHashMap<>();
        for (String spec : loras) {
            AdapterSpec a = AdapterSpec.parse(spec);
            adapters.put(a.path(), a.scale());
        }
        PreferenceReader.Data d = PreferenceReader.read(data, format == null ? null : io.jdpo.data.PreferenceFormat.parse(format));
        List<PreferencePair> pairs;
        try (PairLoader loader = PairLoader.open(model, template)) {
            pairs = loader.encode(d, maxPairs);
        }
        PreferenceMetrics r = PreferenceEvaluator.evaluate(model, adapters, pairs, beta, common.threads(), new ConsoleProgress(System.out, quiet));
        System.out.printf(Locale.ROOT, "%d pairs: rewards/accuracies %.4f  rewards/margins %.4f  rewards/chosen %.4f  rewards/rejected %.4f"
                + "  logps/chosen %.3f  logps/rejected %.3f%n", r.pairs(), r.accuracy(), r.margin(), r.rewardChosen(), r.rewardRejected(),
                r.logpChosen(), r.logpRejected());
        Reward reward = rewardOptions.reward(common.threads());
        if (reward != null) {
            try {
                generationReward(adapters, pairs, reward);
            } finally {
                if (reward instanceof AutoCloseable c) c.close();
            }
        }
        return 0;
    }

    /** Greedy generations from every prompt with the base and with the adapter, and their mean reward. */
    private void generationReward(Map<Path, Float> adapters, List<PreferencePair> pairs, Reward reward) {
        if (adapters.size() != 1) throw new IllegalArgumentException("generation-based evaluation takes one --lora");
        List<int[]> prompts = new ArrayList<>();
        for (PreferencePair p : pairs) prompts.add(p.prompt());
        BeforeAfter.Result r = BeforeAfter.scored(model, adapters.keySet().iterator().next(), prompts, genTokens, common.threads(), reward);
        System.out.printf(Locale.ROOT, "generation reward (greedy, %d tokens, %d prompts): base %.3f, with adapter %.3f%n",
                genTokens, prompts.size(), r.meanBefore(), r.meanAfter());
    }
}
