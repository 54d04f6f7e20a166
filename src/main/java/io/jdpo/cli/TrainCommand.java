package io.jdpo.cli;

import io.jdpo.model.LoraTarget;
import io.jdpo.report.HtmlReport;
import io.jdpo.verify.BeforeAfter;
import io.jdpo.train.Checkpoint;
import io.jdpo.progress.ConsoleProgress;
import io.jdpo.train.DpoLoss;
import io.jdpo.train.DpoTrainer;
import io.jdpo.train.FDivergence;
import io.jdpo.train.LossType;
import io.jdpo.train.LrSchedule;
import io.jdpo.data.HeldOutSplit;
import io.jdpo.data.PairLoader;
import io.jdpo.data.UnpairedReader;
import io.jdpo.data.UnpairedSample;
import io.jdpo.data.RowFindings;
import io.jdpo.data.PreferenceFormat;
import io.jdpo.train.MetricsLog;
import io.jdpo.train.RunFolder;
import io.jdpo.data.PreferencePair;
import io.jdpo.data.PreferenceReader;
import io.jdpo.train.ReferenceScorer;
import io.jdpo.verify.RegexReward;
import io.jdpo.train.RunFolder;
import io.jdpo.train.TrainConfig;
import io.jdpo.train.TrainResult;
import io.jdpo.data.Truncation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** DPO training of a LoRA adapter on a GGUF model: the main job. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a LoRA adapter with DPO or another preference loss (TRL's family, combinable; SimPO, CPO, ORPO; KTO on",
                "unpaired data) on the frozen, quantized GGUF.",
                "Options may also come from --config FILE (JSON or YAML, keys = long option names); flags override it."},
        footer = {"", "Examples:", "  jdpo train model.gguf --data prefs.jsonl -o runs/dpo --beta 0.1 --lr 5e-5 --max-steps 200",
                "  jdpo train model.gguf --data prefs.jsonl -o runs/mpo --loss sigmoid,bco_pair,sft --loss-weights 0.8,0.2,1",
                "  jdpo train model.gguf --data labelled.jsonl -o runs/kto --loss kto   (prompt, completion, label rows)"})
final class TrainCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();
    @Parameters(index = "0", description = "base GGUF model")
    Path model;
    @Option(names = "--data", required = true, description = "preference data (.jsonl, .json, .gz)")
    Path data;
    @Option(names = "--eval", description = "held-out preference data (default: a split of --data)")
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
    @Option(names = "--cache-dir", description = "reference log-prob cache (default ~/.cache/jdpo/reference)")
    Path cacheDir;
    @Option(names = "--no-cache", description = "do not cache reference log-probs")
    boolean noCache;

    @Option(names = "--samples", defaultValue = "3", description = "prompts generated from before and after training for the report (default ${DEFAULT-VALUE}; 0 = none)")
    int samples;
    @Option(names = "--sample-tokens", defaultValue = "48", description = "tokens per sample generation (default ${DEFAULT-VALUE})")
    int sampleTokens;
    @Option(names = "--reward-regex", description = "preferred pattern: +1 per match in a sample (the report's reward)")
    String rewardRegex;
    @Option(names = "--penalty-regex", description = "dispreferred pattern: -1 per match in a sample")
    String penaltyRegex;

    @Option(names = "--loss", description = {"one loss or several, comma-separated (default sigmoid): sigmoid, cdpo, hinge, ipo, exo_pair,",
            "nca_pair, robust, bco_pair, sppo_hard, aot, aot_unpaired, apo_zero, apo_down, discopop, sft, sigmoid_norm,",
            "simpo, cpo, orpo (reference-free: simpo, cpo, orpo, sft), kto (unpaired data)"})
    String loss;
    @Option(names = "--loss-weights", description = "weights of the --loss terms, comma-separated (default 1 each); MPO: --loss sigmoid,bco_pair,sft --loss-weights 0.8,0.2,1")
    String lossWeights;
    @Option(names = "--f-divergence", description = "reverse_kl (default), forward_kl, js, alpha: the divergence the DPO-family losses regularise with")
    String fDivergence;
    @Option(names = "--f-alpha", description = "α of --f-divergence alpha (default 0.5)")
    Double fAlpha;
    @Option(names = "--use-weighting", description = "WPO: weight each pair by the policy's length-normalised probability of both completions")
    Boolean useWeighting;
    @Option(names = "--ld-alpha", description = "LD-DPO: weight of the longer completion's tokens past the shorter's length (default 1 = off)")
    Double ldAlpha;
    @Option(names = "--discopop-tau", description = "τ of discopop (default 0.05)")
    Double discopopTau;
    @Option(names = "--cpo-alpha", description = "weight of cpo's SFT term (default 1)")
    Double cpoAlpha;
    @Option(names = "--desirable-weight", description = "kto: weight of desirable examples' losses (default 1)")
    Double desirableWeight;
    @Option(names = "--undesirable-weight", description = "kto: weight of undesirable examples' losses (default 1)")
    Double undesirableWeight;
    @Option(names = "--beta", description = "β (default 0.1)")
    Double beta;
    @Option(names = "--label-smoothing", description = "ε of cdpo, robust, exo_pair, aot, aot_unpaired, simpo, cpo (default 0)")
    Double labelSmoothing;
    @Option(names = "--simpo-gamma", description = "SimPO target margin γ (default 0.5)")
    Double simpoGamma;
    @Option(names = "--rpo-alpha", description = "weight of the SFT term on the chosen completion (RPO; default 0)")
    Double rpoAlpha;
    @Option(names = "--rank", description = "LoRA rank (default 16)")
    Integer rank;
    @Option(names = "--alpha", description = "LoRA alpha (default 32)")
    Double alpha;
    @Option(names = "--rslora", description = "scale by alpha/√r instead of alpha/r")
    Boolean rsLora;
    @Option(names = "--lora-dropout", description = "dropout on the adapter's input while training (default 0)")
    Double loraDropout;
    @Option(names = "--targets", split = ",", description = "LoRA targets (default all): attn_q, attn_k, attn_v, attn_qkv, attn_output, ffn_gate, ffn_up, ffn_down (on fused models attn_q/k/v adapt attn_qkv and ffn_gate the fused ffn_up)")
    List<String> targets;
    @Option(names = "--lr", description = "peak learning rate (default 5e-5)")
    Double lr;
    @Option(names = "--schedule", description = "constant, linear, cosine (default cosine)")
    String schedule;
    @Option(names = "--warmup-ratio", description = "share of steps warming up (default 0.1)")
    Double warmupRatio;
    @Option(names = "--weight-decay", description = "AdamW weight decay (default 0)")
    Double weightDecay;
    @Option(names = "--max-grad-norm", description = "gradient-norm clipping, 0 = off (default 1.0)")
    Double maxGradNorm;
    @Option(names = "--epochs", description = "epochs when --max-steps is not given (default 1)")
    Integer epochs;
    @Option(names = "--max-steps", description = "optimizer steps (overrides --epochs)")
    Integer maxSteps;
    @Option(names = "--batch-size", description = "pairs per micro-batch (default 4)")
    Integer batchSize;
    @Option(names = "--grad-accum", description = "micro-batches per optimizer step (default 1)")
    Integer gradAccum;
    @Option(names = "--max-length", description = "prompt + completion tokens (default 1024)")
    Integer maxLength;
    @Option(names = "--max-prompt-length", description = "prompt tokens kept when truncating (default 512)")
    Integer maxPromptLength;
    @Option(names = "--truncation", description = "keep_end or keep_start of the prompt (default keep_end)")
    String truncation;
    @Option(names = "--eval-every", description = "evaluate every N steps (default: at the start and the end)")
    Integer evalEvery;
    @Option(names = "--checkpoint-every", description = "checkpoint every N steps (default: none)")
    Integer checkpointEvery;
    @Option(names = "--seed", description = "seed of the adapter's initialisation and the data order (default 42)")
    Long seed;
    @Option(names = "--recompute", description = "keep only each layer's input and recompute the rest in the backward (less memory)")
    Boolean recompute;
    @Option(names = "--force", description = "train even when the Java forward and llama.cpp differ beyond the parity bounds")
    Boolean force;
    @Option(names = "--arithmetic", description = "deployed (default: round activations before each quantized product as llama.cpp's CPU backend does) or float")
    String arithmetic;
    @Option(names = "--ngl", description = "layers llama.cpp offloads to the GPU for reference scoring (default: all)")
    Integer gpuLayers;

    /** The checkpoint to resume from: the newest complete one of -o for "latest". */
    private Path resumeFrom() throws java.io.IOException {
        if (resume == null) return null;
        if (!resume.equals("latest")) return Path.of(resume);
        return Checkpoint.latest(out).orElseThrow(() -> new IllegalArgumentException(
                "no complete checkpoint in " + out.resolve("checkpoints") + " to resume from (--checkpoint-every N writes them)"));
    }

    @Override
    public Integer call() throws Exception {
        RunFolder.checkFree(out, resume != null, overwrite);
        Path resumeFrom = resumeFrom();
        TrainConfig cfg = config();
        if (cfg.dpoLoss().kto()) return callUnpaired(cfg);
        PreferenceFormat fmt = format == null ? null : PreferenceFormat.parse(format);
        PreferenceReader.Data train, held = null;
        List<PreferencePair> trainPairs, evalPairs = new ArrayList<>();
        // The loader checks the chat template once, before any data is read.
        try (PairLoader loader = PairLoader.open(model, template)) {
            train = PreferenceReader.read(data, fmt, new RowFindings(strict));
            trainPairs = new ArrayList<>(loader.encode(train));
            if (evalData != null) {
                held = PreferenceReader.read(evalData, fmt, new RowFindings(strict));
                evalPairs = new ArrayList<>(loader.encode(held));
            }
        }
        int trainedFromFile = trainPairs.size();
        if (held == null && evalFraction > 0) HeldOutSplit.apply(trainPairs, evalPairs, evalFraction, cfg.seed());
        ConsoleProgress progress = new ConsoleProgress(System.out, quiet);
        System.out.println("data " + data + " (" + train.format().name().toLowerCase() + "): " + counts(train.counts())
                + (held != null ? "; eval " + evalData + ": " + counts(held.counts()) : "")
                + "; " + trainPairs.size() + " train / " + evalPairs.size() + " eval pairs");
        System.out.println("rows of " + data.getFileName() + ": " + train.findings().summary());
        if (held != null) System.out.println("rows of " + evalData.getFileName() + ": " + held.findings().summary());
        Files.createDirectories(out);
        RunFolder.writeConfig(out, cfg);
        Map<String, Object> dataRecord = new java.util.LinkedHashMap<>();
        dataRecord.put("data", train.summary(data, trainedFromFile));
        if (held != null) dataRecord.put("eval_data", held.summary(evalData, evalPairs.size()));
        DpoTrainer trainer = new DpoTrainer(cfg).overwrite(overwrite)
                .cacheDir(noCache ? null : cacheDir != null ? cacheDir : ReferenceScorer.defaultCacheDir())
                .dataSummary(dataRecord);
        TrainResult r = trainer.train(model, trainPairs, evalPairs, out, resumeFrom, progress);
        return finish(cfg, r, (evalPairs.isEmpty() ? trainPairs : evalPairs).stream().map(PreferencePair::prompt).toList());
    }

    /** KTO: unpaired data (or pairs split into desirable and undesirable completions). */
    private Integer callUnpaired(TrainConfig cfg) throws Exception {
        PreferenceFormat fmt = format == null ? null : PreferenceFormat.parse(format);
        UnpairedReader.Data train = UnpairedReader.read(data, fmt);
        UnpairedReader.Data held = evalData == null ? null : UnpairedReader.read(evalData, fmt);
        List<UnpairedSample> trainSet, evalSet;
        try (PairLoader loader = PairLoader.open(model, template)) {
            trainSet = new ArrayList<>(loader.encodeUnpaired(train.examples()));
            evalSet = held == null ? new ArrayList<>() : new ArrayList<>(loader.encodeUnpaired(held.examples()));
        }
        if (held == null && evalFraction > 0) HeldOutSplit.apply(trainSet, evalSet, evalFraction, cfg.seed());
        System.out.println("data " + data + " (" + train.format() + "): " + counts(train.counts())
                + (held != null ? "; eval " + evalData + ": " + counts(held.counts()) : "")
                + "; " + trainSet.size() + " train / " + evalSet.size() + " eval examples");
        Files.createDirectories(out);
        RunFolder.writeConfig(out, cfg);
        DpoTrainer trainer = new DpoTrainer(cfg).overwrite(overwrite)
                .cacheDir(noCache ? null : cacheDir != null ? cacheDir : ReferenceScorer.defaultCacheDir());
        TrainResult r = trainer.trainUnpaired(model, trainSet, evalSet, out, resumeFrom(), new ConsoleProgress(System.out, quiet));
        return finish(cfg, r, (evalSet.isEmpty() ? trainSet : evalSet).stream().map(UnpairedSample::prompt).toList());
    }

    private static void change(List<String> parts, String name, double before, double after) {
        if (!Double.isNaN(before) && !Double.isNaN(after)) parts.add(String.format("%s %.3f -> %.3f", name, before, after));
    }

    /** The summary, the samples and the report of a finished run. */
    private Integer finish(TrainConfig cfg, TrainResult r, List<int[]> prompts) throws Exception {
        System.out.printf("trained %d steps in %.0f s (%.0f tokens/s); adapter %s; metrics %s%n", r.steps(), r.seconds(),
                r.tokensPerSecond(), r.adapter(), r.metrics());
        if (r.firstEval() != null && r.lastEval() != null) {
            // KTO logs no accuracy, and a held-out set with only one label has no margin either.
            List<String> parts = new ArrayList<>();
            change(parts, "reward accuracy", r.firstEval().rewardsAccuracies(), r.lastEval().rewardsAccuracies());
            change(parts, "margin", r.firstEval().rewardsMargins(), r.lastEval().rewardsMargins());
            if (!parts.isEmpty()) System.out.println("held-out " + String.join(", ", parts));
        }
        List<HtmlReport.Sample> shown = samples(prompts, r.adapter());
        Path report = out.resolve("report.html");
        HtmlReport.write(report, "jdpo train: " + model.getFileName() + " on " + data.getFileName(), MetricsLog.read(r.metrics()),
                cfg.table(), shown);
        System.out.println("report " + report);
        return 0;
    }

    /** Greedy generations before and after training from the first prompts, scored by the regex reward when one is given. */
    private List<HtmlReport.Sample> samples(List<int[]> allPrompts, Path adapter) {
        if (samples <= 0 || allPrompts.isEmpty()) return List.of();
        List<int[]> prompts = allPrompts.subList(0, Math.min(samples, allPrompts.size()));
        RegexReward reward = rewardRegex == null && penaltyRegex == null ? null : RegexReward.of(rewardRegex, penaltyRegex);
        return BeforeAfter.scored(model, adapter, prompts, sampleTokens, common.threads(), reward).samples().stream()
                .map(g -> new HtmlReport.Sample(g.prompt(), g.before(), g.after(), g.rewardBefore(), g.rewardAfter())).toList();
    }

    /** Defaults, then every option given (on the command line or through --config, already merged by {@link Jdpo}). */
    TrainConfig config() {
        TrainConfig.Builder b = TrainConfig.defaults().toBuilder().threads(common.threads());
        if (loss != null || lossWeights != null) b.losses(terms(loss == null ? "sigmoid" : loss, lossWeights));
        if (fDivergence != null) b.fDivergence(FDivergence.parse(fDivergence));
        if (fAlpha != null) b.fAlpha(fAlpha);
        if (useWeighting != null) b.useWeighting(useWeighting);
        if (ldAlpha != null) b.ldAlpha(ldAlpha);
        if (discopopTau != null) b.discopopTau(discopopTau);
        if (cpoAlpha != null) b.cpoAlpha(cpoAlpha);
        if (desirableWeight != null) b.desirableWeight(desirableWeight);
        if (undesirableWeight != null) b.undesirableWeight(undesirableWeight);
        if (beta != null) b.beta(beta);
        if (labelSmoothing != null) b.labelSmoothing(labelSmoothing);
        if (simpoGamma != null) b.simpoGamma(simpoGamma);
        if (rpoAlpha != null) b.rpoAlpha(rpoAlpha);
        if (rank != null) b.rank(rank);
        if (alpha != null) b.alpha(alpha);
        if (rsLora != null) b.rsLora(rsLora);
        if (loraDropout != null) b.loraDropout(loraDropout);
        if (targets != null) {
            EnumSet<LoraTarget> set = EnumSet.noneOf(LoraTarget.class);
            for (String t : targets) set.add(LoraTarget.parse(t.trim()));
            b.targets(set);
        }
        if (lr != null) b.learningRate(lr);
        if (schedule != null) b.schedule(LrSchedule.Kind.parse(schedule));
        if (warmupRatio != null) b.warmupRatio(warmupRatio);
        if (weightDecay != null) b.weightDecay(weightDecay);
        if (maxGradNorm != null) b.maxGradNorm(maxGradNorm);
        if (epochs != null) b.epochs(epochs);
        if (maxSteps != null) b.maxSteps(maxSteps);
        if (batchSize != null) b.batchSize(batchSize);
        if (gradAccum != null) b.gradientAccumulation(gradAccum);
        if (maxLength != null) b.maxLength(maxLength);
        if (maxPromptLength != null) b.maxPromptLength(maxPromptLength);
        if (truncation != null) b.truncationMode(Truncation.Mode.parse(truncation));
        if (evalEvery != null) b.evalEvery(evalEvery);
        if (checkpointEvery != null) b.checkpointEvery(checkpointEvery);
        if (seed != null) b.seed(seed);
        if (recompute != null) b.recompute(recompute);
        if (force != null) b.force(force);
        if (gpuLayers != null) b.gpuLayers(gpuLayers);
        if (arithmetic != null) b.arithmetic(io.jdpo.tensor.Arithmetic.parse(arithmetic));
        return b.build();
    }

    /** --loss a,b,c with --loss-weights x,y,z (or 1 each). */
    static List<DpoLoss.Term> terms(String losses, String weights) {
        String[] names = losses.split(",");
        String[] w = weights == null ? null : weights.split(",");
        if (w != null && w.length != names.length) {
            throw new IllegalArgumentException("--loss-weights gives " + w.length + " weights for " + names.length + " losses (" + losses + ")");
        }
        List<DpoLoss.Term> out = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            double weight;
            try {
                weight = w == null ? 1 : Double.parseDouble(w[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--loss-weights: '" + w[i].trim() + "' is not a number");
            }
            out.add(new DpoLoss.Term(LossType.parse(names[i]), weight));
        }
        return out;
    }

    private static String counts(Map<String, Integer> c) {
        StringBuilder sb = new StringBuilder();
        c.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k.replace('_', ' ')).append(' ').append(v));
        return sb.toString();
    }
}
