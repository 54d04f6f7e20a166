package io.jdpo.verify;

import io.jdpo.data.PreferencePair;
import io.jdpo.train.TrainListener;

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
 * Preference metrics of a model with adapters against the same model without them (the
 * reference), all scored by llama.cpp: implicit rewards β·(log π − log π_ref) of chosen and
 * rejected, their accuracy and margin, as TRL reports them for evaluation.
 */
public final class PreferenceEvaluator {
    public record Result(int pairs, double accuracy, double margin, double rewardChosen, double rewardRejected,
                         double logpChosen, double logpRejected) {
    }

    private PreferenceEvaluator() {
    }

    public static Result evaluate(Path model, Map<Path, Float> adapters, List<PreferencePair> pairs, double beta, int threads,
                                  TrainListener listener) {
        int cells = 64;
        for (PreferencePair p : pairs) cells = Math.max(cells, p.prompt().length + p.chosen().length + p.rejected().length);
        double acc = 0, margin = 0, rc = 0, rr = 0, lc = 0, lr = 0;
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
                    double c = beta * (pol.get(0).sum() - ref.get(0).sum()), r = beta * (pol.get(1).sum() - ref.get(1).sum());
                    acc += c > r ? 1 : 0;
                    margin += c - r;
                    rc += c;
                    rr += r;
                    lc += pol.get(0).sum();
                    lr += pol.get(1).sum();
                    tokens += p.prompt().length + p.chosen().length + p.rejected().length;
                    listener.progress("eval", i + 1, pairs.size(), tokens);
                }
            } finally {
                ctx.detachAll();
                for (LoraAdapter a : loaded) a.close();
            }
        }
        int n = pairs.size();
        return new Result(n, acc / n, margin / n, rc / n, rr / n, lc / n, lr / n);
    }
}
