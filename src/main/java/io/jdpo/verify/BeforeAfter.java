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
 * trained adapter hot-swapped in (one model load), optionally scored by a reward: the
 * report's samples, the demo's before/after and {@code eval}'s generation reward.
 */
public final class BeforeAfter {
    /**
     * One prompt's generations.
     *
     * @param prompt the prompt's tokens detokenized
     * @param before the base model's greedy completion
     * @param after the completion with the adapter attached at scale 1
     */
    public record Generation(String prompt, String before, String after) {
    }

    /**
     * A generation pair with the reward of each side (NaN without a reward).
     *
     * @param prompt the prompt's text
     * @param before the base model's completion
     * @param after the adapted model's completion
     * @param rewardBefore the reward of {@code before}
     * @param rewardAfter the reward of {@code after}
     */
    public record Scored(String prompt, String before, String after, double rewardBefore, double rewardAfter) {
    }

    /**
     * Scored generations and the mean reward of each side.
     *
     * @param samples the scored generations, in prompt order
     * @param meanBefore the mean reward before (0 without prompts, NaN without a reward)
     * @param meanAfter the mean reward after
     */
    public record Result(List<Scored> samples, double meanBefore, double meanAfter) {
    }

    private BeforeAfter() {
    }

    /**
     * Generates greedily from each prompt without and with the adapter. The model, context (up
     * to 2,048 tokens) and adapter are closed before this returns.
     *
     * @param model the base model's GGUF file
     * @param adapter the LoRA adapter's GGUF file
     * @param prompts tokenized prompts, each shorter than the context
     * @param maxTokens the most new tokens per generation
     * @param threads CPU threads for llama.cpp
     * @return one generation pair per prompt, in order
     * @throws io.jdpo.llama.LlamaException if the model or adapter cannot be loaded, or a prompt
     *         does not fit the context
     */
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

    /**
     * As {@link #generate}, each text scored by {@code reward}.
     *
     * @param model the base model's GGUF file
     * @param adapter the LoRA adapter's GGUF file
     * @param prompts tokenized prompts
     * @param maxTokens the most new tokens per generation
     * @param threads CPU threads for llama.cpp
     * @param reward scores each text, or null (rewards NaN)
     * @return the scored generations and mean rewards
     * @throws io.jdpo.llama.LlamaException as {@link #generate}
     */
    public static Result scored(Path model, Path adapter, List<int[]> prompts, int maxTokens, int threads, Reward reward) {
        List<Scored> out = new ArrayList<>();
        double before = 0, after = 0;
        for (Generation g : generate(model, adapter, prompts, maxTokens, threads)) {
            double b = reward == null ? Double.NaN : reward.score(g.before()), a = reward == null ? Double.NaN : reward.score(g.after());
            before += b;
            after += a;
            out.add(new Scored(g.prompt(), g.before(), g.after(), b, a));
        }
        int n = Math.max(1, out.size());
        return new Result(out, before / n, after / n);
    }
}
