package io.jdpo.llama;

import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The README's "Using the binding from Java" example, kept compiling and running. */
class ReadmeExampleTest {
    @Test
    void readmeExampleRuns(@TempDir Path dir) throws Exception {
        Path modelFile = TestData.stories260K();
        Path adapterFile = LoraAdapterTest.writeAdapter(modelFile, dir.resolve("adapter.gguf"), 0.5f, 1);
        StringBuilder printed = new StringBuilder();
        try (LlamaModel model = LlamaModel.load(modelFile);
             LlamaContext ctx = LlamaContext.create(model, ContextParams.of(2048).withSequences(4))) {
            // generate
            String text = new Generator(ctx).generate("Once upon a time",
                    GenerationOptions.greedy(64).withStopStrings(List.of("\n\n")), printed::append).text();
            // score chosen vs rejected after one prompt (the prompt is decoded once)
            Tokenizer tok = model.tokenizer();
            var scores = new LogProbScorer(ctx).score(List.of(ScoreRequest.pair(
                    tok.tokenize("Q: 2+2?\nA:", true, false),
                    tok.tokenize(" 4", false, false), tok.tokenize(" 5", false, false))));
            // LoRA hot-swap
            String adapted;
            try (LoraAdapter dpo = LoraAdapter.load(model, adapterFile)) {
                ctx.attach(dpo, 1.0f);
                adapted = new Generator(ctx).generate("Once upon a time", GenerationOptions.greedy(64)).text();
                ctx.detach(dpo);
            }
            assertEquals(text, printed.toString());
            assertEquals(2, scores.getFirst().size());
            assertNotEquals(text, adapted);
        }
    }
}
