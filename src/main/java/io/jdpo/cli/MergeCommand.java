package io.jdpo.cli;

import io.jdpo.adapter.AdapterFile;
import io.jdpo.export.DeltaRequantizer;
import io.jdpo.export.PeerMerge;
import io.jdpo.gguf.ImportanceMatrix;
import io.jdpo.verify.CalibratedMerge;
import io.jdpo.verify.MergeVerifier;
import io.jdpo.export.Merger;
import io.jdpo.gguf.GgmlType;
import io.jdpo.progress.ConsoleProgress;
import io.jdpo.data.PairLoader;
import io.jdpo.data.PreferencePair;
import io.jdpo.data.PreferenceReader;
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

/** Merges adapters into the base GGUF, optionally verified in llama.cpp on held-out pairs. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Merge LoRA adapters into a GGUF base: W' = W + scale·(alpha/r)·B·A, written in each tensor's own type",
                "(the base's block scales kept, codes moved where the update crosses them) or --type; other tensors copied byte for byte."},
        footer = {"", "Example:", "  jdpo merge model.gguf runs/dpo/adapter.gguf:1.0 -o merged.gguf --calibration train.jsonl --verify heldout.jsonl"})
final class MergeCommand implements Callable<Integer> {
    /** Requantization error above this share of the update, or KL above this, gets a warning. */
    static final double WARN_ERROR_TO_UPDATE = 0.5, WARN_KL = 0.01;

    @Mixin
    CommonOptions common = new CommonOptions();
    @Parameters(index = "0", description = "base GGUF model")
    Path base;
    @Parameters(index = "1..*", arity = "1..*", description = "adapter FILE[:SCALE] (repeatable)")
    List<String> adapters;
    @Option(names = {"-o", "--output"}, required = true, description = "merged GGUF to write")
    Path out;
    @Mixin
    OutputFileOption outputFile = new OutputFileOption();
    @Option(names = "--type", description = "one type for every merged tensor: f32, f16, bf16, q8_0, q4_k, ... (default: each tensor's own);"
            + " rows that do not divide its block size fall back as llama-quantize does")
    String type;
    @Option(names = "--requantize", defaultValue = "delta", description = "into a quantized type: delta (keep the base's block scales, move the codes"
            + " the update crosses) or plain (refit every block with ggml's quantizer) (default ${DEFAULT-VALUE})")
    String requantize;
    @Option(names = "--rounding", defaultValue = "aligned", description = "delta requantization: aligned (keeps the whole update along itself;"
            + " GPTQ-compensated with an --imatrix holding second moments), nearest, stochastic (unbiased, noisier) or compensated"
            + " (GPTQ, needs --imatrix with second moments) (default ${DEFAULT-VALUE})")
    String rounding;
    @Option(names = "--keep-update", defaultValue = "0", description = "move a tensor up a type (Q4_0 -> Q5_0 -> Q8_0 -> F16, Q4_K -> Q5_K -> Q6_K ...)"
            + " until it carries at least this share of its update (0 = never)")
    double keepUpdate;
    @Option(names = "--imatrix", description = "importance matrix (GGUF, from jdpo imatrix or llama-imatrix) weighting every block ggml fits")
    Path imatrix;
    @Option(names = "--calibration", description = "preference data the adapter was trained on: the importance matrix comes from it (unless"
            + " --imatrix) and several delta requantizations are measured on it in llama.cpp, the closest to base + adapters kept;"
            + " never the --verify data")
    Path calibration;
    @Option(names = "--calibration-pairs", defaultValue = "32", description = "pairs of --calibration used (default ${DEFAULT-VALUE})")
    int calibrationPairs;
    @Option(names = "--candidates", defaultValue = "7", description = "with --calibration: delta requantizations tried (1 to 7,"
            + " each one merge and one llama.cpp pass over the calibration pairs) (default ${DEFAULT-VALUE})")
    int candidates;
    @Option(names = "--no-peer", description = "with --verify: skip the llama-export-lora + llama-quantize peer route")
    boolean noPeer;
    @Option(names = "--verify", description = "held-out preference data: KL and accuracy of merged vs base + adapters, in llama.cpp")
    Path verify;
    @Option(names = "--verify-pairs", defaultValue = "32", description = "pairs of --verify used (default ${DEFAULT-VALUE})")
    int verifyPairs;
    @Option(names = "--template", description = "chat template for conversational --verify data")
    String template;
    @Option(names = "--quiet", description = "no progress line")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        outputFile.checkFree("merge", out, base);
        if (calibration != null && verify != null && java.nio.file.Files.exists(calibration) && java.nio.file.Files.exists(verify)
                && java.nio.file.Files.isSameFile(calibration, verify)) {
            throw new IllegalArgumentException("--calibration and --verify are the same file (" + verify + "): the verification would"
                    + " measure the data the merge was chosen on; verify on held-out pairs");
        }
        List<Merger.Input> inputs = new ArrayList<>();
        Map<Path, Float> scales = new LinkedHashMap<>();
        for (String spec : adapters) {
            AdapterSpec a = AdapterSpec.parse(spec);
            Path p = a.path();
            float scale = a.scale();
            inputs.add(new Merger.Input(AdapterFile.read(p), scale));
            scales.put(p, scale);
        }
        Merger.Options options = Merger.Options.defaults().withType(type == null ? null : GgmlType.parse(type))
                .withRequantization(Merger.Requantization.valueOf(requantize.toUpperCase(Locale.ROOT)))
                .withRounding(DeltaRequantizer.Rounding.valueOf(rounding.toUpperCase(Locale.ROOT)))
                .withKeepUpdate(keepUpdate)
                .withImportance(imatrix == null ? null : ImportanceMatrix.read(imatrix));
        Merger.Result r;
        if (calibration != null) {
            List<PreferencePair> pairs;
            try (PairLoader loader = PairLoader.open(base, template)) {
                pairs = loader.encode(PreferenceReader.read(calibration, null), calibrationPairs);
            }
            CalibratedMerge.Result c = CalibratedMerge.write(base, inputs, out, options, pairs, candidates, common.threads(), System.out::println);
            CalibratedMerge.Candidate kept = c.candidates().get(c.chosen());
            System.out.printf(Locale.ROOT, "kept candidate %d (along weight %s): calibration KL %.3e mean%n", c.chosen() + 1,
                    kept.alongWeight(), kept.calibration().meanKl());
            r = c.merge();
        } else {
            ConsoleProgress progress = new ConsoleProgress(System.out, quiet).unit("merge", "tensors/s");
            r = Merger.merge(base, inputs, out, options, Map.of(), (done, total) -> progress.progress("merge", done, total, done));
        }
        System.out.printf(Locale.ROOT, "wrote %s: %d tensors merged, %d copied; worst requantization error %.3f of the update%n",
                out, r.merged(), r.copied(), r.worstErrorToUpdate());
        DeltaRequantizer.Stats b = r.blocks();
        if (b.blocks() > 0) {
            System.out.printf(Locale.ROOT, "delta requantization: %d blocks, %d byte-identical, %d with codes moved (%d codes), %d refitted%n",
                    b.blocks(), b.unchanged(), b.moved(), b.codesMoved(), b.refit());
            if (calibration == null) {
                System.out.println("tip: --calibration TRAIN (the adapter's training data) measures several roundings on it and keeps the"
                        + " closest to base + adapters (README \"Merging\")");
            }
        }
        long baseSize = java.nio.file.Files.size(base), outSize = java.nio.file.Files.size(out);
        System.out.printf(Locale.ROOT, "file size %d -> %d bytes (%+.2f%%); %d merged tensors in another type than the base's (%+d bytes)%n",
                baseSize, outSize, 100.0 * (outSize - baseSize) / baseSize, r.retyped(), r.addedBytes());
        for (Merger.TensorReport tr : r.tensors()) {
            if (tr.type() != tr.baseType()) {
                System.out.printf(Locale.ROOT, "  %s: %s -> %s, keeps %.0f%% of its update, %+d bytes%n", tr.name(), tr.baseType(), tr.type(),
                        100 * tr.keptShare(), tr.bytes() - tr.baseBytes());
            }
        }
        for (Merger.TensorReport tr : r.tensors()) {
            if (tr.errorToUpdate() > WARN_ERROR_TO_UPDATE) {
                System.out.printf(Locale.ROOT, "warning: %s in %s keeps the update poorly (requantization error %.0f%% of the update)%n",
                        tr.name(), tr.type(), 100 * tr.errorToUpdate());
            }
        }
        if (verify != null) {
            List<PreferencePair> pairs;
            try (PairLoader loader = PairLoader.open(base, template)) {
                pairs = loader.encode(PreferenceReader.read(verify, null), verifyPairs);
            }
            List<Path> merged = new ArrayList<>(List.of(out));
            Path peer = null;
            if (!noPeer) {
                try {
                    PeerMerge.fileType(base);
                    peer = java.nio.file.Files.createTempFile(out.toAbsolutePath().getParent(), "peer-merge-", ".gguf");
                    PeerMerge.write(base, scales, peer, common.threads());
                    merged.add(peer);
                } catch (IllegalArgumentException | java.io.IOException e) {
                    if (peer != null) java.nio.file.Files.deleteIfExists(peer);
                    peer = null;
                    System.out.println("peer route skipped: " + e.getMessage());
                }
            }
            List<MergeVerifier.Report> reports;
            try {
                reports = MergeVerifier.verify(base, scales, merged, pairs, common.threads());
            } finally {
                if (peer != null) java.nio.file.Files.deleteIfExists(peer);
            }
            MergeVerifier.Report v = reports.getFirst();
            System.out.printf(Locale.ROOT, "verify on %d pairs (%d tokens): KL(base+adapters || merged) mean %.2e, max %.2e nats/token;"
                    + " reward accuracy base+adapters %.3f, merged %.3f%n", v.pairs(), v.tokens(), v.meanKl(), v.maxKl(),
                    v.accuracyAdapter(), v.accuracyMerged());
            if (peer != null) {
                MergeVerifier.Report p = reports.get(1);
                System.out.printf(Locale.ROOT, "%-44s %12s %12s %10s%n", "KL(base+adapters || ...) nats/token", "mean", "max", "accuracy");
                System.out.printf(Locale.ROOT, "%-44s %12.2e %12.2e %10.3f%n", "jdpo merge", v.meanKl(), v.maxKl(), v.accuracyMerged());
                System.out.printf(Locale.ROOT, "%-44s %12.2e %12.2e %10.3f%n", "llama-export-lora + llama-quantize " + PeerMerge.fileType(base),
                        p.meanKl(), p.maxKl(), p.accuracyMerged());
            }
            if (v.meanKl() > WARN_KL) {
                System.out.printf(Locale.ROOT, "warning: the merged model drifts from base + adapters (mean KL %.3g > %.2g); "
                        + "consider --calibration TRAIN, --keep-update 0.9 (or --type q8_0) for the merged tensors%n", v.meanKl(), WARN_KL);
            }
        }
        return 0;
    }
}
