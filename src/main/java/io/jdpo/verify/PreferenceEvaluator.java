package io.jdpo.verify;

import io.jdpo.data.PreferencePair;
import io.jdpo.progress.TrainListener;

import io.jdpo.llama.ContextParams;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LogProbScorer;
import io.jdpo.llama.LoraAdapter;
import io.jdpo.llama.ModelParams;
import io.jdpo.llama.ScoreRequest;
import io.jdpo.llama.TokenLogProbs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Preference metrics ({@link PreferenceMetrics}) of a model with adapters against the same
 * model without them (the reference), all scored by llama.cpp.
 */
public final class PreferenceEvaluator {
    private PreferenceEvaluator() {
    }

    /**
     * Scores every pair with llama.cpp twice, with the adapters detached (reference) and
     * attached (policy), in one model load. The model and adapters are closed before this returns.
     *
     * @param model the base model's GGUF file
     * @param adapters adapter files and their scales, attached together for the policy
     * @param pairs tokenized preference pairs
     * @param beta the DPO β the rewards are scaled by
     * @param threads CPU threads for llama.cpp
     * @param listener receives "eval" progress per pair
     * @return the metrics over all pairs (NaN means when {@code pairs} is empty)
     * @throws io.jdpo.llama.LlamaException if the model or an adapter cannot be loaded, or a pair
     *         is longer than the model's trained context
     */
    public static PreferenceMetrics evaluate(Path model, Map<Path, Float> adapters, List<PreferencePair> pairs, double beta, int threads,
                                  TrainListener listener) {
        int cells = 64;
        for (PreferencePair p : pairs) cells = Math.max(cells, p.packedLength());
        PreferenceMetrics.Tally tally = new PreferenceMetrics.Tally(beta);
        try (LlamaModel m = LlamaModel.load(model, ModelParams.defaults());
             LlamaContext ctx = LlamaContext.create(m, ContextParams.of(cells).withSequences(2).withThreads(threads))) {
            List<LoraAdapter> loaded = new ArrayList<>();
            try {
                for (Path a : adapters.keySet()) loaded.add(LoraAdapter.load(m, a));
                LogProbScorer scorer = new LogProbScorer(ctx, true);
                long tokens = 0;
                for (int i = 0; i < pairs.size(); i++) {
                    PreferencePair p = pairs.get(i);
                    ScoreRequest req = ScoreRequest.pair(p.prompt(), p.chosen(), p.rejected());
                    ctx.detachAll();
                    List<TokenLogProbs> ref = scorer.score(List.of(req)).getFirst();
                    int k = 0;
                    for (Float scale : adapters.values()) ctx.attach(loaded.get(k++), scale);
                    List<TokenLogProbs> pol = scorer.score(List.of(req)).getFirst();
                    tally.add(pol.get(0).sum(), pol.get(1).sum(), ref.get(0).sum(), ref.get(1).sum());
                    tokens += p.packedLength();
                    listener.progress("eval", i + 1, pairs.size(), tokens);
                }
            } finally {
                ctx.detachAll();
                for (LoraAdapter a : loaded) a.close();
            }
        }
        return tally.result();
    }
}
