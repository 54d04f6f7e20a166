package io.jdpo.bench;

import io.jdpo.llama.ContextParams;
import io.jdpo.llama.FileType;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LogProbScorer;
import io.jdpo.model.ModelConfig;
import io.jdpo.model.Transformer;
import io.jdpo.testing.TestModelFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * The Java forward beside llama.cpp three ways, same model, same threads, one sequence of T
 * tokens, in one run: llama.cpp's exact scoring through the binding (the log-prob of every
 * token), llama-bench's prompt throughput (its strongest figure) and llama-perplexity's (which,
 * like the Java forward, computes every position's logits). Prints tokens/s of each, the
 * ratios, jdpo's GFLOP/s and its share of this machine's measured FP32 FMA peak.
 *
 * <p>Run by scripts/bench/forward.sh: args = workdir tokenizerGguf threads T reps types...;
 * the environment variable JDPO_BENCH_ARCHS (default "LLAMA") lists the architectures of the
 * generated model (LLAMA, GEMMA2, GEMMA3, PHI3, ...), each measured at every type.
 */
public final class ForwardBench {
    public static void main(String[] args) throws Exception {
        BenchArgs b = BenchArgs.parse(args);
        Path work = b.work(), tokenizer = b.tokenizer();
        int threads = b.threads(), T = b.tokens(), reps = b.reps();
        var shape = new TestModelFactory.Shape(1024, 16, 16, 4, 2816, 2048);
        double peak = FmaPeak.measure(threads);
        String[] archs = System.getenv().getOrDefault("JDPO_BENCH_ARCHS", "LLAMA").trim().split("[ ,]+");
        System.out.printf(Locale.ROOT, "model: generated %s, dim 1024, 16 layers, 16 heads (4 kv), ffn 2816, vocab of %s%n",
                String.join("/", archs).toLowerCase(Locale.ROOT), tokenizer.getFileName());
        System.out.printf(Locale.ROOT, "T = %d, threads = %d, %d repetitions after a warm-up; measured FP32 FMA peak %.1f GFLOP/s%n%n", T, threads, reps, peak);
        System.out.println("jdpo in its two arithmetics: deployed (activations rounded as llama.cpp's CPU backend does, the"
                + " training default) and float; ratio and GFLOP/s of the deployed one");
        io.jdpo.llama.LlamaRuntime rt = io.jdpo.llama.LlamaRuntime.get();
        Path llamaBench = rt.tool("llama-bench").orElseThrow(), llamaPerplexity = rt.tool("llama-perplexity").orElseThrow();
        Path text = perplexityText(work, T);
        System.out.println("llama.cpp three ways: exact scoring through the binding (every log-prob, F32 K/V), llama-bench -p T -n 0"
                + " (its strongest prompt figure: best of reps), llama-perplexity -c T -b T --chunks 1 (every position's logits; best of reps)");
        System.out.printf(Locale.ROOT, "%-7s %-7s %12s %12s %12s %12s %12s %7s %7s %7s %10s %7s %9s%n", "arch", "type", "binding t/s", "bench t/s",
                "ppl t/s", "jdpo t/s", "float t/s", "/bind", "/bench", "/ppl", "GFLOP/s", "peak", "file MiB");
        for (String archName : archs) {
            TestModelFactory.Arch arch = TestModelFactory.Arch.valueOf(archName.toUpperCase(Locale.ROOT));
            for (FileType type : b.types()) {
                Path model = TestModelFactory.quantized(tokenizer, shape.with(arch, false), 1, type, work);
                Random rnd = new Random(3);
                double llama, ours, floats, flops;
                try (LlamaModel m = LlamaModel.load(model)) {
                    int V = m.tokenizer().vocabularySize();
                    int[] tokens = new int[T];
                    for (int i = 0; i < T; i++) tokens[i] = 3 + rnd.nextInt(V - 3);
                    int[] prompt = {tokens[0]};
                    int[] completion = Arrays.copyOfRange(tokens, 1, T);
                    try (LlamaContext ctx = LlamaContext.create(m, new ContextParams(T, T, T, 1, threads, threads, false, true))) {
                        LogProbScorer s = new LogProbScorer(ctx);
                        llama = time(reps, () -> s.score(prompt, completion));
                    }
                    try (Transformer tf = Transformer.load(model, threads)) {
                        ours = time(reps, () -> tf.logProbs(tokens, 1));
                        tf.arithmetic(io.jdpo.tensor.Arithmetic.FLOAT);
                        floats = time(reps, () -> tf.logProbs(tokens, 1));
                        flops = flops(tf.config(), T);
                    }
                }
                double bench = ScoringBench.llamaBench(llamaBench, model, threads, T, reps);
                double ppl = perplexity(llamaPerplexity, model, text, T, threads, reps);
                System.out.printf(Locale.ROOT, "%-7s %-7s %12.1f %12.1f %12.1f %12.1f %12.1f %7.2f %7.2f %7.2f %10.1f %6.0f%% %9.0f%n", arch, type,
                        T / llama, bench, ppl, T / ours, T / floats, llama / ours, T / ours / bench, T / ours / ppl, flops / ours / 1e9,
                        100 * flops / ours / 1e9 / peak, Files.size(model) / 1048576.0);
            }
        }
    }

    /** The parity sample repeated past the 2·T tokens llama-perplexity needs for one chunk of T. */
    static Path perplexityText(Path work, int T) throws Exception {
        String sample = io.jdpo.verify.ParityReport.sampleText();
        Path text = work.resolve("perplexity-text.txt");
        Files.writeString(text, sample.repeat(T / 100 + 4));
        return text;
    }

    /**
     * llama-perplexity's tokens/s over one chunk of T tokens (logits at every position), the best
     * of reps runs: T over the "seconds per pass" it prints (its timing of the chunk's decode).
     */
    static double perplexity(Path tool, Path model, Path text, int T, int threads, int reps) throws Exception {
        double best = 0;
        java.util.regex.Pattern rate = java.util.regex.Pattern.compile("([0-9.]+) seconds per pass");
        for (int r = 0; r < reps; r++) {
            Process p = new ProcessBuilder(tool.toString(), "-m", model.toString(), "-f", text.toString(), "-c", String.valueOf(T),
                    "-b", String.valueOf(T), "-t", String.valueOf(threads), "--chunks", "1").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (p.waitFor() != 0) throw new IllegalStateException("llama-perplexity failed on " + model + ":\n" + out);
            var m = rate.matcher(out);
            if (!m.find()) throw new IllegalStateException("no 'seconds per pass' in llama-perplexity's output:\n" + out);
            best = Math.max(best, T / Double.parseDouble(m.group(1)));
        }
        return best;
    }

    /** Mean seconds of reps runs after one warm-up. */
    static double time(int reps, Runnable r) {
        r.run();
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) r.run();
        return (System.nanoTime() - t0) / 1e9 / reps;
    }

    /** Multiply-adds of one forward over T tokens, counted as 2 FLOPs each. */
    static double flops(ModelConfig c, int T) {
        double perToken = c.layers() * ((double) c.dim() * (c.qDim() + 2 * c.kvDim()) + (double) c.qDim() * c.dim()
                + 3.0 * c.dim() * c.ffn()) + (double) c.dim() * c.vocab();
        double attention = c.layers() * (double) c.heads() * c.headDim() * T * (T + 1) / 2.0 * 2; // scores + values
        return 2 * (perToken * T + attention);
    }
}
