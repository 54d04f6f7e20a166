package example;

import io.jdpo.llama.ContextParams;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LogProbScorer;
import io.jdpo.llama.ScoreRequest;
import io.jdpo.llama.TokenLogProbs;
import io.jdpo.llama.Tokenizer;

import java.nio.file.Path;
import java.util.List;

/** Scores a chosen and a rejected completion after one prompt: java ... example.ScorePair MODEL.gguf */
public final class ScorePair {
    public static void main(String[] args) {
        try (LlamaModel model = LlamaModel.load(Path.of(args[0]));
             LlamaContext ctx = LlamaContext.create(model, ContextParams.of(512).withSequences(2))) {
            Tokenizer tok = model.tokenizer();
            String prompt = "Q: 2+2?\nA:";
            // A completion's tokens are cut from the tokenized whole text: " 4" tokenized alone
            // would start with a lone space token under SentencePiece.
            List<TokenLogProbs> scores = new LogProbScorer(ctx).score(List.of(ScoreRequest.pair(
                    tok.tokenize(prompt, true, false), tok.continuation(prompt, " 4"), tok.continuation(prompt, " 5"))))
                    .getFirst();
            System.out.printf("log p(\" 4\") = %.4f, log p(\" 5\") = %.4f%n", scores.get(0).sum(), scores.get(1).sum());
        }
    }
}
