package io.jdpo.cli;

import io.jdpo.progress.ConsoleProgress;
import io.jdpo.train.DpoLoss;
import io.jdpo.train.DpoTrainer;
import io.jdpo.train.FDivergence;
import io.jdpo.train.InitAdapter;
import io.jdpo.train.LossType;
import io.jdpo.data.HeldOutSplit;
import io.jdpo.data.PairLoader;
import io.jdpo.data.UnpairedReader;
import io.jdpo.data.UnpairedSample;
import io.jdpo.data.RowFindings;
import io.jdpo.data.PreferenceFormat;
import io.jdpo.train.RunFolder;
import io.jdpo.data.PreferencePair;
import io.jdpo.data.PreferenceReader;
import io.jdpo.train.ReferenceScorer;
import io.jdpo.train.TrainConfig;
import io.jdpo.train.TrainResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
                "  jdpo train model.gguf --data labelled.jsonl -o runs/kto --loss kto   (prompt, completion, label rows)",
                "  jdpo train model.gguf --data prefs.jsonl -o runs/dpo --init-adapter runs/sft/adapter.gguf   (DPO after jdpo sft)"})
final class TrainCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();
    @Mixin
    RunOptions run = new RunOptions();
    @Mixin
    TrainingOptions training = new TrainingOptions();
    @Parameters(index = "0", description = "base GGUF model")
    Path model;
    @Option(names = "--init-adapter", paramLabel = "FILE", description = {"start the policy from this adapter (e.g. jdpo sft's) and score the reference as",
            "base + this adapter in llama.cpp; rank, alpha and targets come from the file"})
    Path initAdapter;
    @Option(names = "--ul-alpha", description = "unlikelihood: weight α of the rejected tokens' −log(1 − p) term (default 1)")
    Double ulAlpha;
    @Option(names = "--cache-dir", description = "reference log-prob cache (default ~/.cache/jdpo/reference)")
    Path cacheDir;
    @Option(names = "--no-cache", description = "do not cache reference log-probs")
    boolean noCache;


    @Option(names = "--loss", description = {"one loss or several, comma-separated (default sigmoid): sigmoid, cdpo, hinge, ipo, exo_pair,",
            "nca_pair, robust, bco_pair, sppo_hard, aot, aot_unpaired, apo_zero, apo_down, discopop, sft, sigmoid_norm,",
            "simpo, cpo, orpo, unlikelihood (reference-free: simpo, cpo, orpo, sft, unlikelihood), kto (unpaired data)"})
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
    @Option(names = "--force", description = "train even when the Java forward and llama.cpp differ beyond the parity bounds")
    Boolean force;
    @Option(names = "--ngl", description = "layers llama.cpp offloads to the GPU for reference scoring (default: all)")
    Integer gpuLayers;

    @Override
    public Integer call() throws Exception {
        RunFolder.checkFree(run.out, run.resume != null, run.overwrite);
        Path resumeFrom = run.resumeFrom();
        TrainConfig cfg = config();
        if (initAdapter != null) {
            // The trained adapter takes the shape of the one it starts from.
            InitAdapter init = InitAdapter.read(initAdapter);
            TrainConfig fitted = init.fit(cfg);
            if (training.shapeGiven() && !fitted.loraConfig().equals(cfg.loraConfig())) {
                throw new IllegalArgumentException("--init-adapter " + initAdapter + " is rank " + init.rank() + ", alpha " + init.alpha()
                        + ", targets " + init.targets() + "; --rank/--alpha/--rslora/--targets ask for another shape (leave them out)");
            }
            cfg = fitted;
        }
        if (cfg.dpoLoss().kto()) return callUnpaired(cfg);
        PreferenceFormat fmt = run.format == null ? null : PreferenceFormat.parse(run.format);
        PreferenceReader.Data train, held = null;
        List<PreferencePair> trainPairs, evalPairs = new ArrayList<>();
        // The loader checks the chat template once, before any data is read.
        try (PairLoader loader = PairLoader.open(model, run.template)) {
            train = PreferenceReader.read(run.data, fmt, new RowFindings(run.strict));
            trainPairs = new ArrayList<>(loader.encode(train));
            if (run.evalData != null) {
                held = PreferenceReader.read(run.evalData, fmt, new RowFindings(run.strict));
                evalPairs = new ArrayList<>(loader.encode(held));
            }
        }
        int trainedFromFile = trainPairs.size();
        if (held == null && run.evalFraction > 0) HeldOutSplit.apply(trainPairs, evalPairs, run.evalFraction, cfg.seed());
        ConsoleProgress progress = new ConsoleProgress(System.out, run.quiet);
        System.out.println("data " + run.data + " (" + train.format().name().toLowerCase() + "): " + RunOptions.counts(train.counts())
                + (held != null ? "; eval " + run.evalData + ": " + RunOptions.counts(held.counts()) : "")
                + "; " + trainPairs.size() + " train / " + evalPairs.size() + " eval pairs");
        System.out.println("rows of " + run.data.getFileName() + ": " + train.findings().summary());
        if (held != null) System.out.println("rows of " + run.evalData.getFileName() + ": " + held.findings().summary());
        Files.createDirectories(run.out);
        RunFolder.writeConfig(run.out, cfg);
        Map<String, Object> dataRecord = new java.util.LinkedHashMap<>();
        dataRecord.put("data", train.summary(run.data, trainedFromFile));
        if (held != null) dataRecord.put("eval_data", held.summary(run.evalData, evalPairs.size()));
        DpoTrainer trainer = new DpoTrainer(cfg).overwrite(run.overwrite).initAdapter(initAdapter)
                .cacheDir(noCache ? null : cacheDir != null ? cacheDir : ReferenceScorer.defaultCacheDir())
                .dataSummary(dataRecord);
        TrainResult r = trainer.train(model, trainPairs, evalPairs, run.out, resumeFrom, progress);
        return finish(cfg, r, (evalPairs.isEmpty() ? trainPairs : evalPairs).stream().map(PreferencePair::prompt).toList());
    }

    /** KTO: unpaired data (or pairs split into desirable and undesirable completions). */
    private Integer callUnpaired(TrainConfig cfg) throws Exception {
        PreferenceFormat fmt = run.format == null ? null : PreferenceFormat.parse(run.format);
        UnpairedReader.Data train = UnpairedReader.read(run.data, fmt);
        UnpairedReader.Data held = run.evalData == null ? null : UnpairedReader.read(run.evalData, fmt);
        List<UnpairedSample> trainSet, evalSet;
        try (PairLoader loader = PairLoader.open(model, run.template)) {
            trainSet = new ArrayList<>(loader.encodeUnpaired(train.examples()));
            evalSet = held == null ? new ArrayList<>() : new ArrayList<>(loader.encodeUnpaired(held.examples()));
        }
        if (held == null && run.evalFraction > 0) HeldOutSplit.apply(trainSet, evalSet, run.evalFraction, cfg.seed());
        System.out.println("data " + run.data + " (" + train.format() + "): " + RunOptions.counts(train.counts())
                + (held != null ? "; eval " + run.evalData + ": " + RunOptions.counts(held.counts()) : "")
                + "; " + trainSet.size() + " train / " + evalSet.size() + " eval examples");
        Files.createDirectories(run.out);
        RunFolder.writeConfig(run.out, cfg);
        DpoTrainer trainer = new DpoTrainer(cfg).overwrite(run.overwrite).initAdapter(initAdapter)
                .cacheDir(noCache ? null : cacheDir != null ? cacheDir : ReferenceScorer.defaultCacheDir());
        TrainResult r = trainer.trainUnpaired(model, trainSet, evalSet, run.out, run.resumeFrom(), new ConsoleProgress(System.out, run.quiet));
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
        Path report = run.report("jdpo train: " + model.getFileName() + " on " + run.data.getFileName(), model, r.adapter(),
                r.metrics(), cfg.table(), prompts, common.threads());
        System.out.println("report " + report);
        return 0;
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
        if (ulAlpha != null) b.ulAlpha(ulAlpha);
        training.apply(b);
        if (force != null) b.force(force);
        if (gpuLayers != null) b.gpuLayers(gpuLayers);
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
}
