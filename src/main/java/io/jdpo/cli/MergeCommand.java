package io.jdpo.cli;

import io.jdpo.adapter.AdapterFile;
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
                "(requantized by ggml) or --type; other tensors copied byte for byte."},
        footer = {"", "Example:", "  jdpo merge model.gguf runs/dpo/adapter.gguf:1.0 -o merged.gguf --verify heldout.jsonl"})
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
    @Option(names = "--type", description = "one type for every merged tensor: f32, f16, bf16, q8_0, q4_k, ... (default: each tensor's own)")
    String type;
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
        List<Merger.Input> inputs = new ArrayList<>();
        Map<Path, Float> scales = new LinkedHashMap<>();
        for (String spec : adapters) {
            AdapterSpec a = AdapterSpec.parse(spec);
            Path p = a.path();
            float scale = a.scale();
            inputs.add(new Merger.Input(AdapterFile.read(p), scale));
            scales.put(p, scale);
        }
        GgmlType t = type == null ? null : GgmlType.parse(type);
        ConsoleProgress progress = new ConsoleProgress(System.out, quiet).unit("merge", "tensors/s");
        Merger.Result r = Merger.merge(base, inputs, out, t, Map.of(), (done, total) -> progress.progress("merge", done, total, done));
        System.out.printf(Locale.ROOT, "wrote %s: %d tensors merged, %d copied; worst requantization error %.3f of the update%n",
                out, r.merged(), r.copied(), r.worstErrorToUpdate());
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
            MergeVerifier.Report v = MergeVerifier.verify(base, scales, out, pairs, common.threads());
            System.out.printf(Locale.ROOT, "verify on %d pairs (%d tokens): KL(base+adapters || merged) mean %.2e, max %.2e nats/token;"
                    + " reward accuracy base+adapters %.3f, merged %.3f%n", v.pairs(), v.tokens(), v.meanKl(), v.maxKl(),
                    v.accuracyAdapter(), v.accuracyMerged());
            if (v.meanKl() > WARN_KL) {
                System.out.printf(Locale.ROOT, "warning: the merged model drifts from base + adapters (mean KL %.3g > %.2g); "
                        + "consider --type q8_0 or f16 for the merged tensors%n", v.meanKl(), WARN_KL);
            }
        }
        return 0;
    }
}
