package io.jdpo.bench;

import io.jdpo.llama.ContextParams;
import io.jdpo.llama.FileType;
import io.jdpo.llama.GenerationOptions;
import io.jdpo.llama.GenerationResult;
import io.jdpo.llama.Generator;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LlamaRuntime;
import io.jdpo.llama.ModelParams;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Sampling throughput through the binding beside llama-bench's token generation
 * ({@code -p 0 -n N}), same model, threads and GPU layers, in one run. jdpo's figure is
 * {@link Generator} sampling N tokens after a one-token prompt (temperature 0.8, top-k 40,
 * top-p 0.95, min-p 0.05: every token goes through llama.cpp's sampler chain and back to
 * Java, and its text through the UTF-8 and stop-string checks), in two contexts: the one the
 * online loop samples in ({@code ContextParams.of}: F32 K/V, so the same context also scores
 * exactly) and llama-bench's own (F16 K/V, flash attention), which isolates the binding's and
 * the sampler's cost from the cache type's. Tokens/s counts the tokens actually sampled (a
 * generation may end early at an end-of-generation token; the count is printed). A last
 * column samples k completions together as the online loop does (JDPO_BENCH_SAMPLES, default
 * 4), counting all their tokens.
 *
 * <p>Run by scripts/bench/sampling.sh (and on a GPU by scripts/bench/gpu.sh): args = workdir
 * tokenizerGguf threads tokens reps types...
 */
public final class SamplingBench {
    public static void main(String[] args) throws Exception {
        BenchArgs b = BenchArgs.parse(args);
        Path work = b.work(), tokenizer = b.tokenizer();
        int threads = b.threads(), n = b.tokens(), reps = b.reps();
        LlamaRuntime rt = LlamaRuntime.get();
        Path llamaBench = rt.tool("llama-bench").orElseThrow();
        System.out.println(ScoringBench.describe(tokenizer));
        System.out.printf(Locale.ROOT, "threads %d, %d new tokens, best of %d, %d GPU layers; devices: %s%n%n",
                threads, n, reps, ScoringBench.gpuLayers(), rt.devices());
        int k = Integer.parseInt(System.getenv().getOrDefault("JDPO_BENCH_SAMPLES", "4"));
        System.out.printf(Locale.ROOT, "%-6s %16s %20s %20s %8s %8s %8s %18s %8s%n", "type", "llama-bench tg t/s",
                "jdpo loop ctx t/s", "jdpo bench ctx t/s", "tokens", "loop", "bench", k + " together t/s", "ratio");
        for (FileType type : b.types()) {
            Path model = ScoringBench.model(work, tokenizer, type, threads);
            double theirs = ScoringBench.llamaBench(llamaBench, model, threads, reps, "-p", "0", "-n", String.valueOf(n));
            try (LlamaModel m = LlamaModel.load(model, ModelParams.defaults().withGpuLayers(ScoringBench.gpuLayers()))) {
                int nCtx = Math.max(256, n + 16);
                ContextParams loop = ContextParams.of(nCtx).withThreads(threads);
                double[] exact = ours(m, loop, n, reps);
                double[] fast = ours(m, loop.withF32Cache(false).withFlashAttention(true), n, reps);
                double together = together(m, ContextParams.of(Math.max(256, k * n + 16)).withThreads(threads).withSequences(k), n, k, reps);
                System.out.printf(Locale.ROOT, "%-6s %16.1f %20.1f %20.1f %8.0f %8.3f %8.3f %18.1f %8.3f%n", type, theirs, exact[0], fast[0],
                        exact[1], exact[0] / theirs, fast[0] / theirs, together, together / theirs);
            }
        }
    }

    /**
     * The online loop's way: k completions of one prompt sampled together
     * ({@link Generator#generateAll}, one batch of k tokens per step); the best tokens/s over
     * reps, all k completions' tokens counted.
     */
    static double together(LlamaModel m, ContextParams params, int n, int k, int reps) {
        try (LlamaContext ctx = LlamaContext.create(m, params)) {
            Generator gen = new Generator(ctx);
            int bos = m.tokenizer().bos();
            int[] prompt = {bos >= 0 ? bos : 1};
            double best = 0;
            for (int r = -2; r < reps; r++) {
                List<GenerationOptions> options = new ArrayList<>(k);
                for (int j = 0; j < k; j++) options.add(GenerationOptions.sampling(n, 0.8f, 42 + r * k + j));
                long t0 = System.nanoTime();
                int tokens = 0;
                for (GenerationResult res : gen.generateAll(prompt, options)) tokens += res.tokens().length;
                double rate = tokens / ((System.nanoTime() - t0) / 1e9);
                if (r >= 0) best = Math.max(best, rate);
            }
            return best;
        }
    }

    /** {best tokens/s, tokens sampled in that run} over reps generations after two warm-ups. */
    static double[] ours(LlamaModel m, ContextParams params, int n, int reps) {
        try (LlamaContext ctx = LlamaContext.create(m, params)) {
            Generator gen = new Generator(ctx);
            int bos = m.tokenizer().bos();
            int[] prompt = {bos >= 0 ? bos : 1};
            double best = 0, tokens = 0;
            for (int r = -2; r < reps; r++) {
                long t0 = System.nanoTime();
                GenerationResult res = gen.generate(prompt, GenerationOptions.sampling(n, 0.8f, 42 + r), s -> { });
                double rate = res.tokens().length / ((System.nanoTime() - t0) / 1e9);
                if (r >= 0 && rate > best) {
                    best = rate;
                    tokens = res.tokens().length;
                }
            }
            return new double[]{best, tokens};
        }
    }
}
