package io.jdpo.verify;

import io.jdpo.llama.ContextParams;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LogProbScorer;
import io.jdpo.llama.ModelParams;

import java.nio.file.Path;

/**
 * A GGUF judge model through llama.cpp: the text is placed into a question ({@code %s}), and
 * the reward is log p(" Yes") − log p(" No") for the judge's answer. Open it once, score many
 * texts, close it.
 */
public final class JudgeReward implements Reward, AutoCloseable {
    private final LlamaModel model;
    private final LlamaContext ctx;
    private final LogProbScorer scorer;
    private final String question;
    private final int[] yes, no;

    public JudgeReward(Path judge, String question, int threads) {
        if (!question.contains("%s")) throw new IllegalArgumentException("the judge question needs a %s where the text goes");
        this.model = LlamaModel.load(judge, ModelParams.defaults());
        this.ctx = LlamaContext.create(model, ContextParams.of(Math.min(2048, model.trainingContextLength())).withThreads(threads));
        this.scorer = new LogProbScorer(ctx, false);
        this.question = question;
        this.yes = model.tokenizer().tokenize(" Yes", false, false);
        this.no = model.tokenizer().tokenize(" No", false, false);
    }

    @Override
    public double score(String text) {
        int[] prompt = model.tokenizer().tokenize(question.replace("%s", text), true, false);
        return scorer.score(prompt, yes).sum() - scorer.score(prompt, no).sum();
    }

    @Override
    public void close() {
        ctx.close();
        model.close();
    }
}
