package io.jdpo.verify;

import io.jdpo.llama.ContextParams;
import io.jdpo.llama.GenerationOptions;
import io.jdpo.llama.Generator;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LoraAdapter;
import io.jdpo.llama.ModelParams;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Greedy generations by llama.cpp from the same prompts with the base model and with the
 * trained adapter hot-swapped in (one model load), for the report and the demo.
 */
public final class BeforeAfter {
    public record Generation(String prompt, String before, String after) {
    }

    private BeforeAfter() {
    }

    public static List<Generation> generate(Path model, Path adapter, List<int[]> prompts, int maxTokens, int threads) {
        List<Generation> out = new ArrayList<>();
        try (LlamaModel m = LlamaModel.load(model, ModelParams.defaults());
             LlamaContext ctx = LlamaContext.create(m, ContextParams.of(Math.min(2048, m.trainingContextLength())).withThreads(threads));
             LoraAdapter lora = LoraAdapter.load(m, adapter)) {
            Generator gen = new Generator(ctx);
            GenerationOptions greedy = GenerationOptions.greedy(maxTokens);
            for (int[] p : prompts) {
                ctx.detachAll();
                String before = gen.generate(p, greedy, s -> { }).text();
                ctx.attach(lora, 1f);
                String after = gen.generate(p, greedy, s -> { }).text();
                ctx.detachAll();
                out.add(new Generation(m.tokenizer().detokenize(p), before, after));
            }
        }
        return out;
    }
}
