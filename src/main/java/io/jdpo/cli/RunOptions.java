package io.jdpo.cli;

import io.jdpo.report.HtmlReport;
import io.jdpo.train.Checkpoint;
import io.jdpo.train.MetricsLog;
import io.jdpo.verify.BeforeAfter;
import io.jdpo.verify.RegexReward;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The options of a training run that are not training settings (jdpo train, jdpo sft): the
 * data, the output folder, resuming, the data's layout and template, and the report's samples.
 */
final class RunOptions {
    @Option(names = "--data", required = true, description = "training data (.jsonl, .json, .gz)")
    Path data;
    @Option(names = "--eval", description = "held-out data, same layout (default: a split of --data)")
    Path evalData;
    @Option(names = "--eval-fraction", defaultValue = "0.1", description = "share of --data held out when no --eval is given (default ${DEFAULT-VALUE}; 0 = none)")
    double evalFraction;
    @Option(names = {"-o", "--output"}, required = true, description = "output folder: adapter.gguf, metrics.jsonl, report.html, checkpoints/")
    Path out;
    @Option(names = "--config", description = "JSON or YAML file of options (keys = long option names)")
    Path config;
    @Option(names = "--format", description = "data format: standard, conversational, implicit, openai, sharegpt (default: detected)")
    String format;
    @Option(names = "--template", description = "chat template: the model's own by default, or a llama.cpp built-in name")
    String template;
    @Option(names = "--strict", description = "stop at the first data row that needs a repair or a skip (default: repair or skip it, and count)")
    boolean strict;
    @Option(names = "--resume", arity = "0..1", fallbackValue = "latest", paramLabel = "CHECKPOINT",
            description = "continue the run in -o: from its newest complete checkpoint (no value, or 'latest') or from a checkpoint folder")
    String resume;
    @Option(names = "--overwrite", description = "replace the results of an earlier run in the output folder")
    boolean overwrite;
    @Option(names = "--quiet", description = "no progress, only the summary")
    boolean quiet;
    @Option(names = "--samples", defaultValue = "3", description = "prompts generated from before and after training for the report (default ${DEFAULT-VALUE}; 0 = none)")
    int samples;
    @Option(names = "--sample-tokens", defaultValue = "48", description = "tokens per sample generation (default ${DEFAULT-VALUE})")
    int sampleTokens;
    @Option(names = "--reward-regex", description = "preferred pattern: +1 per match in a sample (the report's reward)")
    String rewardRegex;
    @Option(names = "--penalty-regex", description = "dispreferred pattern: -1 per match in a sample")
    String penaltyRegex;

    /**
     * The checkpoint to resume from: the newest complete one of -o for "latest"; null when not resuming.
     *
     * @return the checkpoint folder, or null
     * @throws IOException when -o cannot be listed
     */
    Path resumeFrom() throws IOException {
        if (resume == null) return null;
        if (!resume.equals("latest")) return Path.of(resume);
        return Checkpoint.latest(out).orElseThrow(() -> new IllegalArgumentException(
                "no complete checkpoint in " + out.resolve("checkpoints") + " to resume from (--checkpoint-every N writes them)"));
    }

    /**
     * Writes report.html: the metrics' charts, the configuration, and llama.cpp's greedy
     * generations before and after training from the first prompts, scored by the regex reward
     * when one is given.
     *
     * @param title      the page's title
     * @param model      the base model
     * @param adapter    the trained adapter
     * @param metrics    the run's metrics.jsonl
     * @param config     the run's settings, by name
     * @param allPrompts prompts to sample from (the first --samples are used)
     * @param threads    llama.cpp threads
     * @return the report's path
     * @throws IOException when a file cannot be read or written
     */
    Path report(String title, Path model, Path adapter, Path metrics, Map<String, String> config, List<int[]> allPrompts,
                int threads) throws IOException {
        List<HtmlReport.Sample> shown = List.of();
        if (samples > 0 && !allPrompts.isEmpty()) {
            List<int[]> prompts = allPrompts.subList(0, Math.min(samples, allPrompts.size()));
            RegexReward reward = rewardRegex == null && penaltyRegex == null ? null : RegexReward.of(rewardRegex, penaltyRegex);
            shown = BeforeAfter.scored(model, adapter, prompts, sampleTokens, threads, reward).samples().stream()
                    .map(g -> new HtmlReport.Sample(g.prompt(), g.before(), g.after(), g.rewardBefore(), g.rewardAfter())).toList();
        }
        Path report = out.resolve("report.html");
        HtmlReport.write(report, title, MetricsLog.read(metrics), config, shown);
        return report;
    }

    /**
     * "read 96, skipped empty 0, kept 96": a reader's counts on one line.
     *
     * @param c the counts by key
     * @return the line
     */
    static String counts(Map<String, Integer> c) {
        StringBuilder sb = new StringBuilder();
        c.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k.replace('_', ' ')).append(' ').append(v));
        return sb.toString();
    }
}
