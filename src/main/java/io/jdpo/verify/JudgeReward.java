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
 * texts, close it. Owns the judge's model and a context (up to 2,048 tokens) until
 * {@link #close()}; for one thread at a time.
 */
public final class JudgeReward implements Reward, AutoCloseable {
    private final LlamaModel model;
    private final LlamaContext ctx;
    private final LogProbScorer scorer;
    private final String question;
    private final int[] yes, no;

    /**
     * Loads the judge.
     *
     * @param judge the judge's GGUF file
     * @param question the question, with {@code %s} where the text goes; it should invite a
     *        " Yes" or " No" answer
     * @param threads CPU threads for scoring
     * @throws IllegalArgumentException if the question has no {@code %s}
     * @throws io.jdpo.llama.LlamaException if llama.cpp cannot load the judge
     */
    public JudgeReward(Path judge, String question, int threads) {
        if (!question.contains("%s")) throw new IllegalArgumentException("the judge question needs a %s where the text goes");
        this.model = LlamaModel.load(judge, ModelParams.defaults());
        this.ctx = LlamaContext.create(model, ContextParams.of(Math.min(2048, model.trainingContextLength())).withThreads(threads));
        this.scorer = new LogProbScorer(ctx, false);
        this.question = question;
        this.yes = model.tokenizer().tokenize(" Yes", false, false);
        this.no = model.tokenizer().tokenize(" No", false, false);
    }

    /**
     * {@return log p(" Yes") − log p(" No") after the question, in nats (each answer's log-probs summed over its tokens)}
     *
     * @throws io.jdpo.llama.LlamaException if the question with the text exceeds the context
     * @throws IllegalStateException if the judge is closed
     */
    @Override
    public double score(String text) {
        int[] prompt = model.tokenizer().tokenize(question.replace("%s", text), true, false);
        return scorer.score(prompt, yes).sum() - scorer.score(prompt, no).sum();
    }

    /** Frees the judge's context and model. */
    @Override
    public void close() {
        ctx.close();
        model.close();
    }
}
