package io.jdpo.cli;

import io.jdpo.llama.ContextParams;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LogProbScorer;
import io.jdpo.llama.TokenLogProbs;
import io.jdpo.llama.Tokenizer;
import io.jdpo.model.Transformer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Prints the log-probability llama.cpp gives a completion after a prompt, token by token. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Score a completion after a prompt: per-token log-probabilities and their sum.",
        footer = {"", "Examples:", "  jdpo score model.gguf -p \"Once upon a time\" -c \" there was a girl\"",
                "  jdpo score model.gguf -p \"Once upon a time\" -c \" there was a girl\" --engine java"})
final class ScoreCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();
    @Parameters(index = "0", description = "GGUF model")
    Path model;

    @Option(names = {"-p", "--prompt"}, required = true, description = "prompt text (BOS added as the model wants)")
    String prompt;

    @Option(names = {"-c", "--completion"}, required = true, description = "completion text")
    String completion;

    @Option(names = "--engine", defaultValue = "llama", description = "llama (llama.cpp) or java (jdpo's forward); default ${DEFAULT-VALUE}")
    Engine engine;

    enum Engine { llama, java }

    @Override
    public Integer call() throws java.io.IOException {
        try (LlamaModel m = LlamaModel.load(model)) {
            Tokenizer tok = m.tokenizer();
            int[] p = tok.tokenize(prompt, true, false);
            int[] c = tok.tokenize(completion, false, false);
            ContextParams params = ContextParams.of(Math.min(m.trainingContextLength(), Math.max(64, p.length + c.length)));
            if (common.threads != null) params = params.withThreads(common.threads);
            TokenLogProbs s;
            if (engine == Engine.java) {
                int[] all = new int[p.length + c.length];
                System.arraycopy(p, 0, all, 0, p.length);
                System.arraycopy(c, 0, all, p.length, c.length);
                try (Transformer tf = Transformer.load(model, common.threads())) {
                    s = TokenLogProbs.of(tf.logProbs(all, p.length));
                }
            } else {
                try (LlamaContext ctx = LlamaContext.create(m, params)) {
                    s = new LogProbScorer(ctx).score(p, c);
                }
            }
            for (int i = 0; i < c.length; i++) {
                System.out.printf(Locale.ROOT, "%5d %-16s %10.4f%n", c[i], "'" + tok.piece(c[i]) + "'", s.logProbs()[i]);
            }
            System.out.printf(Locale.ROOT, "sum %.4f  mean %.4f  over %d tokens%n", s.sum(), s.mean(), s.length());
        }
        return 0;
    }
}
