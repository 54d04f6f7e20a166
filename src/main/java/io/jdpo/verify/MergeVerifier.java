package io.jdpo.verify;

import io.jdpo.data.PreferencePair;
import io.jdpo.llama.Batch;
import io.jdpo.llama.ContextParams;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LoraAdapter;
import io.jdpo.tensor.VectorMath;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks a merged model against what it replaces, all in llama.cpp: on held-out pairs, the
 * KL divergence per completion token from base + adapters to the merged model, and the
 * preference accuracy of both (implicit rewards against the base model as reference). A
 * merge into a low-bit type can lose the update; this is where users see it. Each check
 * loads its models, contexts and adapters and closes them before it returns.
 */
public final class MergeVerifier {
    /**
     * One merged file's verdict.
     *
     * @param pairs how many pairs were scored
     * @param tokens how many completion tokens (chosen and rejected) the KL covers
     * @param meanKl the mean over those tokens of KL(base + adapters ‖ merged) of the
     *        next-token distributions, in nats (0 without tokens)
     * @param maxKl the largest per-token KL, in nats
     * @param accuracyAdapter preference accuracy of base + adapters against the base model, in [0, 1]
     * @param accuracyMerged preference accuracy of the merged model against the base model
     */
    public record Report(int pairs, int tokens, double meanKl, double maxKl, double accuracyAdapter, double accuracyMerged) {
    }

    private MergeVerifier() {
    }

    /**
     * Verifies one merged file.
     *
     * @param base the base model's GGUF file
     * @param adapters adapter files and their scales, as merged
     * @param merged the merged model's GGUF file (same vocabulary as the base)
     * @param pairs tokenized held-out pairs; the context is sized to the longest
     * @param threads CPU threads for llama.cpp
     * @return the report
     * @throws io.jdpo.llama.LlamaException if a model or adapter cannot be loaded, or a pair is
     *         longer than the model's trained context
     */
    public static Report verify(Path base, Map<Path, Float> adapters, Path merged, List<PreferencePair> pairs, int threads) {
        return verify(base, adapters, List.of(merged), pairs, threads).getFirst();
    }

    /**
     * Several merges of the same adapters (jdpo's and a peer's, say), each against base +
     * adapters, one report each; the base is loaded again for each.
     *
     * @param base the base model's GGUF file
     * @param adapters adapter files and their scales, as merged
     * @param merged the merged models' GGUF files
     * @param pairs tokenized held-out pairs
     * @param threads CPU threads for llama.cpp
     * @return one report per merged file, in order
     * @throws io.jdpo.llama.LlamaException as {@link #verify(Path, Map, Path, List, int)}
     */
    public static List<Report> verify(Path base, Map<Path, Float> adapters, List<Path> merged, List<PreferencePair> pairs, int threads) {
        List<Report> out = new ArrayList<>();
        for (Path m : merged) out.add(verifyOne(base, adapters, m, pairs, threads));
        return out;
    }

    private static Report verifyOne(Path base, Map<Path, Float> adapters, Path merged, List<PreferencePair> pairs, int threads) {
        int longest = 8;
        for (PreferencePair p : pairs) longest = Math.max(longest, p.prompt().length + Math.max(p.chosen().length, p.rejected().length));
        ContextParams params = ContextParams.of(longest).withBatch(longest).withThreads(threads);
        try (LlamaModel b = LlamaModel.load(base); LlamaModel m = LlamaModel.load(merged);
             LlamaContext withAdapter = LlamaContext.create(b, params); LlamaContext reference = LlamaContext.create(b, params);
             LlamaContext mergedCtx = LlamaContext.create(m, params); Batch batch = new Batch(longest, 1)) {
            List<LoraAdapter> loaded = new ArrayList<>();
            try {
                for (var e : adapters.entrySet()) {
                    LoraAdapter a = LoraAdapter.load(b, e.getKey());
                    loaded.add(a);
                    withAdapter.attach(a, e.getValue());
                }
                double klSum = 0, klMax = 0;
                int tokens = 0;
                // Accuracy does not depend on β > 0.
                PreferenceMetrics.Tally adapterTally = new PreferenceMetrics.Tally(1), mergedTally = new PreferenceMetrics.Tally(1);
                for (PreferencePair p : pairs) {
                    double[] sumsA = new double[2], sumsM = new double[2], sumsR = new double[2];
                    int[][] completions = {p.chosen(), p.rejected()};
                    for (int c = 0; c < 2; c++) {
                        int[] seq = concat(p.prompt(), completions[c]);
                        int from = p.prompt().length;
                        float[] la = withAdapter.sequenceLogits(batch, seq, from);
                        float[] lm = mergedCtx.sequenceLogits(batch, seq, from);
                        float[] lr = reference.sequenceLogits(batch, seq, from);
                        int V = withAdapter.vocabularySize();
                        for (int i = 0; i < completions[c].length; i++) {
                            int tok = completions[c][i], o = i * V;
                            double na = VectorMath.logSumExp(la, o, V), nm = VectorMath.logSumExp(lm, o, V);
                            sumsA[c] += la[o + tok] - na;
                            sumsM[c] += lm[o + tok] - nm;
                            sumsR[c] += lr[o + tok] - VectorMath.logSumExp(lr, o, V);
                            double kl = 0;
                            for (int v = 0; v < V; v++) {
                                double lpa = la[o + v] - na, lpm = lm[o + v] - nm;
                                kl += Math.exp(lpa) * (lpa - lpm);
                            }
                            klSum += kl;
                            klMax = Math.max(klMax, kl);
                            tokens++;
                        }
                    }
                    adapterTally.add(sumsA[0], sumsA[1], sumsR[0], sumsR[1]);
                    mergedTally.add(sumsM[0], sumsM[1], sumsR[0], sumsR[1]);
                }
                return new Report(pairs.size(), tokens, klSum / Math.max(1, tokens), klMax,
                        adapterTally.result().accuracy(), mergedTally.result().accuracy());
            } finally {
                for (LoraAdapter a : loaded) a.close();
            }
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
