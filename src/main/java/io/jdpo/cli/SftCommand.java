package io.jdpo.cli;

import io.jdpo.data.HeldOutSplit;
import io.jdpo.data.PairLoader;
import io.jdpo.data.PreferenceFormat;
import io.jdpo.data.RowFindings;
import io.jdpo.data.SftReader;
import io.jdpo.data.SftSample;
import io.jdpo.progress.ConsoleProgress;
import io.jdpo.train.RunFolder;
import io.jdpo.train.SftResult;
import io.jdpo.train.SftTrainer;
import io.jdpo.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** Supervised fine-tuning of a LoRA adapter: Preferred-FT, or the first stage before jdpo train --init-adapter. */
@Command(name = "sft", mixinStandardHelpOptions = true,
        description = {"Train a LoRA adapter by supervised fine-tuning (completion-only loss) on TRL's SFT data",
                "(prompt/completion, messages, text) or on the chosen completions of preference data.",
                "Options may also come from --config FILE (JSON or YAML, keys = long option names); flags override it."},
        footer = {"", "Examples:", "  jdpo sft model.gguf --data chat.jsonl -o runs/sft --lr 1e-4 --max-steps 200",
                "  jdpo sft model.gguf --data prefs.jsonl -o runs/sft && \\",
                "  jdpo train model.gguf --data prefs.jsonl -o runs/dpo --init-adapter runs/sft/adapter.gguf"})
final class SftCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();
    @Mixin
    RunOptions run = new RunOptions();
    @Mixin
    TrainingOptions training = new TrainingOptions();
    @Parameters(index = "0", description = "base GGUF model")
    Path model;

    @Override
    public Integer call() throws Exception {
        RunFolder.checkFree(run.out, run.resume != null, run.overwrite);
        Path resumeFrom = run.resumeFrom();
        TrainConfig cfg = training.apply(TrainConfig.defaults().toBuilder().threads(common.threads())).build();
        PreferenceFormat fmt = run.format == null ? null : PreferenceFormat.parse(run.format);
        SftReader.Data train, held = null;
        List<SftSample> trainSet, evalSet = new ArrayList<>();
        try (PairLoader loader = PairLoader.open(model, run.template)) {
            train = SftReader.read(run.data, fmt, new RowFindings(run.strict));
            trainSet = new ArrayList<>(loader.encodeSft(train));
            if (run.evalData != null) {
                held = SftReader.read(run.evalData, fmt, new RowFindings(run.strict));
                evalSet = new ArrayList<>(loader.encodeSft(held));
            }
        }
        int fromFile = trainSet.size();
        if (held == null && run.evalFraction > 0) HeldOutSplit.apply(trainSet, evalSet, run.evalFraction, cfg.seed());
        System.out.println("data " + run.data + " (" + train.format() + "): " + RunOptions.counts(train.counts())
                + (held != null ? "; eval " + run.evalData + ": " + RunOptions.counts(held.counts()) : "")
                + "; " + trainSet.size() + " train / " + evalSet.size() + " eval samples");
        System.out.println("rows of " + run.data.getFileName() + ": " + train.findings().summary());
        Files.createDirectories(run.out);
        RunFolder.writeConfig(run.out, cfg);
        Map<String, Object> dataRecord = new LinkedHashMap<>();
        dataRecord.put("data", train.summary(run.data, fromFile));
        if (held != null) dataRecord.put("eval_data", held.summary(run.evalData, evalSet.size()));
        SftResult r = new SftTrainer(cfg).overwrite(run.overwrite).dataSummary(dataRecord)
                .train(model, trainSet, evalSet, run.out, resumeFrom, new ConsoleProgress(System.out, run.quiet));
        System.out.printf(Locale.ROOT, "trained %d steps in %.0f s (%.0f tokens/s); adapter %s; metrics %s%n", r.steps(), r.seconds(),
                r.tokensPerSecond(), r.adapter(), r.metrics());
        if (r.firstEval() != null && r.lastEval() != null) {
            System.out.printf(Locale.ROOT, "held-out loss %.4f -> %.4f, token accuracy %.3f -> %.3f, completion log-prob %.3f -> %.3f%n",
                    r.firstEval().loss(), r.lastEval().loss(), r.firstEval().meanTokenAccuracy(), r.lastEval().meanTokenAccuracy(),
                    r.firstEval().logpsCompletion(), r.lastEval().logpsCompletion());
        }
        List<int[]> prompts = (evalSet.isEmpty() ? trainSet : evalSet).stream().map(SftSample::prompt).toList();
        Path report = run.report("jdpo sft: " + model.getFileName() + " on " + run.data.getFileName(), model, r.adapter(),
                r.metrics(), cfg.table(), prompts, common.threads());
        System.out.println("report " + report);
        return 0;
    }
}
