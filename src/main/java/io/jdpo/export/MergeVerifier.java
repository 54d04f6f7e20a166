package io.jdpo.export;

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
 * merge into a low-bit type can lose the update; this is where users see it.
 */
public final class MergeVerifier {
    /** A held-out example: prompt and completions as tokens. */
    public record Pair(int[] prompt, int[] chosen, int[] rejected) {
    }

    public record Report(int pairs, int tokens, double meanKl, double maxKl, double accuracyAdapter, double accuracyMerged) {
    }

    private MergeVerifier() {
    }

    /** adapters: path to scale, as merged. */
    public static Report verify(Path base, Map<Path, Float> adapters, Path merged, List<Pair> pairs, int threads) {
        int longest = 8;
        for (Pair p : pairs) longest = Math.max(longest, p.prompt().length + Math.max(p.chosen().length, p.rejected().length));
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
                int tokens = 0, rightAdapter = 0, rightMerged = 0;
                for (Pair p : pairs) {
                    double[] sumsA = new double[2], sumsM = new double[2], sumsR = new double[2];
                    int[][] completions = {p.chosen(), p.rejected()};
                    for (int c = 0; c < 2; c++) {
                        float[][] la = logits(withAdapter, batch, p.prompt(), completions[c]);
                        float[][] lm = logits(mergedCtx, batch, p.prompt(), completions[c]);
                        float[][] lr = logits(reference, batch, p.prompt(), completions[c]);
                        for (int i = 0; i < completions[c].length; i++) {
                            int tok = completions[c][i];
                            double na = VectorMath.logSumExp(la[i], 0, la[i].length), nm = VectorMath.logSumExp(lm[i], 0, lm[i].length);
                            sumsA[c] += la[i][tok] - na;
                            sumsM[c] += lm[i][tok] - nm;
                            sumsR[c] += lr[i][tok] - VectorMath.logSumExp(lr[i], 0, lr[i].length);
                            double kl = 0;
                            for (int v = 0; v < la[i].length; v++) {
                                double lpa = la[i][v] - na, lpm = lm[i][v] - nm;
                                kl += Math.exp(lpa) * (lpa - lpm);
                            }
                            klSum += kl;
                            klMax = Math.max(klMax, kl);
                            tokens++;
                        }
                    }
                    if (sumsA[0] - sumsR[0] > sumsA[1] - sumsR[1]) rightAdapter++;
                    if (sumsM[0] - sumsR[0] > sumsM[1] - sumsR[1]) rightMerged++;
                }
                return new Report(pairs.size(), tokens, klSum / Math.max(1, tokens), klMax,
                        (double) rightAdapter / pairs.size(), (double) rightMerged / pairs.size());
            } finally {
                for (LoraAdapter a : loaded) a.close();
            }
        }
    }

    /** Logits predicting each completion token (rows = completion tokens), one decode of prompt + completion. */
    private static float[][] logits(LlamaContext ctx, Batch batch, int[] prompt, int[] completion) {
        ctx.clearMemory();
        batch.clear();
        int n = prompt.length + completion.length;
        for (int t = 0; t < n; t++) {
            int tok = t < prompt.length ? prompt[t] : completion[t - prompt.length];
            batch.add(tok, t, t >= prompt.length - 1 && t < n - 1, 0);
        }
        ctx.decode(batch);
        float[][] out = new float[completion.length][];
        for (int i = 0; i < completion.length; i++) out[i] = ctx.logits(prompt.length - 1 + i);
        return out;
    }
}
