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
     * adapters, one report each; base + adapters is computed once ({@link Baseline}).
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
        if (merged.isEmpty()) return List.of();
        // The first file is measured in the pass that builds the baseline; logits are kept only for the others.
        Baseline baseline = new Baseline(base, adapters, pairs, threads, merged.size() > 1 ? KEPT_LOGITS_BUDGET : 0, merged.getFirst());
        List<Report> out = new ArrayList<>();
        out.add(baseline.firstReport);
        for (Path m : merged.subList(1, merged.size())) out.add(baseline.verify(m));
        return out;
    }

    /**
     * Computes base + adapters' side of the comparison once, for any number of merged files.
     *
     * @param base the base model's GGUF file
     * @param adapters adapter files and their scales, as merged
     * @param pairs tokenized held-out pairs; contexts are sized to the longest
     * @param threads CPU threads for llama.cpp
     * @return the baseline
     * @throws io.jdpo.llama.LlamaException if the base or an adapter cannot be loaded, or a pair is
     *         longer than the model's trained context
     */
    public static Baseline baseline(Path base, Map<Path, Float> adapters, List<PreferencePair> pairs, int threads) {
        return baseline(base, adapters, pairs, threads, KEPT_LOGITS_BUDGET);
    }

    /**
     * As {@link #baseline(Path, Map, List, int)} with a memory bound of its own.
     *
     * @param base the base model's GGUF file
     * @param adapters adapter files and their scales, as merged
     * @param pairs tokenized held-out pairs
     * @param threads CPU threads for llama.cpp
     * @param keptLogitsBytes the most bytes of base + adapters' logits to keep (vocabulary ×
     *        completion tokens × 4); past it every verification computes them again
     * @return the baseline
     * @throws io.jdpo.llama.LlamaException as {@link #baseline(Path, Map, List, int)}
     */
    public static Baseline baseline(Path base, Map<Path, Float> adapters, List<PreferencePair> pairs, int threads, long keptLogitsBytes) {
        return new Baseline(base, adapters, pairs, threads, keptLogitsBytes, null);
    }

    /** The most bytes of base + adapters' logits a baseline keeps by default (512 MiB). */
    public static final long KEPT_LOGITS_BUDGET = 512L << 20;

    /**
     * Base + adapters and the base on a set of pairs: the logits of base + adapters at every
     * completion token (kept, so merged files are compared with exactly what a fresh
     * computation gives, at a third of its llama.cpp work), and both models' summed log-probs
     * for the accuracies. When the logits would take more than the budget (by default
     * {@link #KEPT_LOGITS_BUDGET}; large vocabularies, many pairs), only the sums are kept and each verification computes
     * the logits again. Holds no native memory between calls.
     */
    public static final class Baseline {
        private final Path base;
        private final Map<Path, Float> adapters;
        private final List<PreferencePair> pairs;
        private final int threads;
        /** [pair][chosen, rejected]: tokens × V logits of base + adapters, or null when not kept. */
        private final float[][][] logits;
        /** [pair][chosen, rejected]: summed completion log-probs of base + adapters, and of the base. */
        private final double[][] adapterSums, referenceSums;
        /** The report of the merged file measured while the baseline was built, or null. */
        private final Report firstReport;

        private Baseline(Path base, Map<Path, Float> adapters, List<PreferencePair> pairs, int threads, long budget, Path first) {
            this.base = base;
            this.adapters = Map.copyOf(adapters);
            this.pairs = List.copyOf(pairs);
            this.threads = threads;
            long tokens = 0;
            for (PreferencePair p : pairs) tokens += p.chosen().length + p.rejected().length;
            long completionTokens = tokens;
            this.adapterSums = new double[pairs.size()][2];
            this.referenceSums = new double[pairs.size()][2];
            float[][][] kept = new float[pairs.size()][2][];
            boolean[] keep = {true};
            Comparison firstOne = first == null ? null : new Comparison();
            forEachCompletion(true, first, (pair, c, la, lr, lm, V) -> {
                keep[0] &= completionTokens * V * Float.BYTES <= budget;
                if (keep[0]) kept[pair][c] = la;
                int[] completion = completion(pairs.get(pair), c);
                for (int i = 0; i < completion.length; i++) {
                    int o = i * V;
                    adapterSums[pair][c] += la[o + completion[i]] - VectorMath.logSumExp(la, o, V);
                    referenceSums[pair][c] += lr[o + completion[i]] - VectorMath.logSumExp(lr, o, V);
                }
                if (firstOne != null) firstOne.add(pair, c, la, lm, V);
            });
            this.logits = keep[0] ? kept : null;
            this.firstReport = firstOne == null ? null : firstOne.report();
        }

        /**
         * Measures one merged file against the baseline: the same report as
         * {@link MergeVerifier#verify(Path, Map, Path, List, int)}.
         *
         * @param merged the merged model's GGUF file (same vocabulary as the base)
         * @return the report
         * @throws io.jdpo.llama.LlamaException if a model or adapter cannot be loaded
         */
        public Report verify(Path merged) {
            Comparison comparison = new Comparison();
            forEachCompletion(false, merged, (pair, c, la, lr, lm, V) -> comparison.add(pair, c, la, lm, V));
            return comparison.report();
        }

        /** One merged model against base + adapters, completion by completion: KL per token and summed log-probs. */
        private final class Comparison {
            private double klSum, klMax;
            private int tokens;
            private final double[][] mergedSums = new double[pairs.size()][2];

            void add(int pair, int c, float[] la, float[] lm, int V) {
                int[] completion = completion(pairs.get(pair), c);
                for (int i = 0; i < completion.length; i++) {
                    int o = i * V;
                    double na = VectorMath.logSumExp(la, o, V), nm = VectorMath.logSumExp(lm, o, V);
                    mergedSums[pair][c] += lm[o + completion[i]] - nm;
                    double k = 0;
                    for (int v = 0; v < V; v++) {
                        double lpa = la[o + v] - na, lpm = lm[o + v] - nm;
                        k += Math.exp(lpa) * (lpa - lpm);
                    }
                    klSum += k;
                    klMax = Math.max(klMax, k);
                    tokens++;
                }
            }

            Report report() {
                // Accuracy does not depend on β > 0.
                PreferenceMetrics.Tally adapterTally = new PreferenceMetrics.Tally(1), mergedTally = new PreferenceMetrics.Tally(1);
                for (int p = 0; p < pairs.size(); p++) {
                    adapterTally.add(adapterSums[p][0], adapterSums[p][1], referenceSums[p][0], referenceSums[p][1]);
                    mergedTally.add(mergedSums[p][0], mergedSums[p][1], referenceSums[p][0], referenceSums[p][1]);
                }
                return new Report(pairs.size(), tokens, klSum / Math.max(1, tokens), klMax,
                        adapterTally.result().accuracy(), mergedTally.result().accuracy());
            }
        }

        /** {@return whether base + adapters' logits are kept (within the budget) rather than computed again per verification} */
        public boolean keepsLogits() {
            return logits != null;
        }

        /** Completion logits of one pair's chosen (0) or rejected (1) completion: base + adapters, base, merged (null when not asked). */
        private interface CompletionLogits {
            void accept(int pair, int completion, float[] withAdapters, float[] reference, float[] merged, int vocabulary);
        }

        /**
         * Runs every completion through llama.cpp: base + adapters when this baseline is being
         * built or did not keep its logits, the base while building, the merged model when given.
         */
        private void forEachCompletion(boolean building, Path merged, CompletionLogits sink) {
            boolean recompute = building || logits == null;
            int longest = 8;
            for (PreferencePair p : pairs) longest = Math.max(longest, p.prompt().length + Math.max(p.chosen().length, p.rejected().length));
            ContextParams params = ContextParams.of(longest).withBatch(longest).withThreads(threads);
            List<AutoCloseable> open = new ArrayList<>();
            try {
                LlamaContext withAdapter = null, reference = null, mergedCtx = null;
                if (recompute) {
                    LlamaModel b = track(open, LlamaModel.load(base));
                    withAdapter = track(open, LlamaContext.create(b, params));
                    if (building) reference = track(open, LlamaContext.create(b, params));
                    for (var e : adapters.entrySet()) withAdapter.attach(track(open, LoraAdapter.load(b, e.getKey())), e.getValue());
                }
                if (merged != null) mergedCtx = track(open, LlamaContext.create(track(open, LlamaModel.load(merged)), params));
                Batch batch = track(open, new Batch(longest, 1));
                for (int p = 0; p < pairs.size(); p++) {
                    PreferencePair pair = pairs.get(p);
                    for (int c = 0; c < 2; c++) {
                        int[] seq = concat(pair.prompt(), completion(pair, c));
                        int from = pair.prompt().length;
                        float[] la = recompute ? withAdapter.sequenceLogits(batch, seq, from) : logits[p][c];
                        float[] lr = building ? reference.sequenceLogits(batch, seq, from) : null;
                        float[] lm = merged == null ? null : mergedCtx.sequenceLogits(batch, seq, from);
                        int V = (merged == null ? withAdapter : mergedCtx).vocabularySize();
                        sink.accept(p, c, la, lr, lm, V);
                    }
                }
            } finally {
                // Adapters before the contexts that use them, contexts before their models: the reverse of opening.
                for (int i = open.size() - 1; i >= 0; i--) {
                    try {
                        open.get(i).close();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }

        private static <T extends AutoCloseable> T track(List<AutoCloseable> open, T resource) {
            open.add(resource);
            return resource;
        }

        private static int[] completion(PreferencePair p, int c) {
            return c == 0 ? p.chosen() : p.rejected();
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
