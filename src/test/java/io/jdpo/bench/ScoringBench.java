package io.jdpo.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jdpo.data.PairLoader;
import io.jdpo.data.PreferencePair;
import io.jdpo.data.PreferenceReader;
import io.jdpo.data.RowFindings;
import io.jdpo.data.Truncation;
import io.jdpo.llama.Batch;
import io.jdpo.llama.ContextParams;
import io.jdpo.llama.FileType;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LlamaRuntime;
import io.jdpo.llama.LogProbScorer;
import io.jdpo.llama.ModelParams;
import io.jdpo.llama.ModelQuantizer;
import io.jdpo.progress.TrainListener;
import io.jdpo.testing.TestData;
import io.jdpo.testing.TestModelFactory;
import io.jdpo.train.ReferenceScorer;
import io.jdpo.train.TrainConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Prompt-processing throughput through the binding beside llama-bench's own ({@code -p N -n 0}),
 * same model, threads and batch, in one run. Two numbers for jdpo: a plain decode with
 * llama-bench's own context settings (F16 K/V, flash attention, logits of the last token
 * only: the binding's overhead) and full scoring with jdpo's exact defaults (F32 K/V, no
 * flash attention, log-probs of every token, which adds the output projection and a
 * log-softmax at every position), also beside llama-bench without flash attention ({@code -fa 0}):
 * llama.cpp's flash attention rounds F32 K/V to F16, so exact scoring runs without it, and
 * llama-bench takes no F32 K/V here. A third number is jdpo train's reference pass itself
 * ({@link ReferenceScorer}, no cache) on real data: the first HH-RLHF pairs of the test data,
 * tokenized and cut as {@code --max-length 256} does, counted as what llama.cpp decodes (the
 * prompt once, both completions).
 *
 * <p>Run by scripts/bench/scoring.sh: args = workdir tokenizerGguf threads tokens reps types...
 */
public final class ScoringBench {
    public static void main(String[] args) throws Exception {
        BenchArgs b = BenchArgs.parse(args);
        Path work = b.work(), tokenizer = b.tokenizer();
        int threads = b.threads(), n = b.tokens(), reps = b.reps();
        LlamaRuntime rt = LlamaRuntime.get();
        Path llamaBench = rt.tool("llama-bench").orElseThrow();
        System.out.println(describe(tokenizer));
        System.out.printf(Locale.ROOT, "threads %d, batch %d, %d tokens, %d repetitions, %d GPU layers; devices: %s%n%n",
                threads, n, n, reps, gpuLayers(), rt.devices());
        List<PreferencePair> pairs = realPairs(model(work, tokenizer, FileType.F32, threads));
        System.out.println(pairs.isEmpty() ? "(HH-RLHF not found under " + TestData.root() + ": no reference-pass column)"
                : String.format(Locale.ROOT, "reference pass: jdpo train's ReferenceScorer on the first %d HH-RLHF pairs (max length %d),"
                + " prompt once + both completions per pair counted", pairs.size(), MAX_LENGTH));
        System.out.printf(Locale.ROOT, "%-6s %14s %14s %16s %16s %8s %8s %10s %16s %8s%n", "type", "llama-bench t/s", "bench -fa 0 t/s",
                "jdpo decode t/s", "jdpo score t/s", "decode", "score", "score/-fa 0", "ref pass t/s", "ref");
        for (FileType type : b.types()) {
            Path model = model(work, tokenizer, type, threads);
            double theirs = llamaBench(llamaBench, model, threads, n, reps);
            // Without flash attention, as exact scoring must run (llama.cpp's flash attention rounds K/V to F16).
            double theirsNoFa = llamaBench(llamaBench, model, threads, reps, "-p", String.valueOf(n), "-n", "0", "-b", String.valueOf(n),
                    "-ub", String.valueOf(n), "-fa", "0");
            double[] ours = ours(model, threads, n, reps);
            double ref = pairs.isEmpty() ? Double.NaN : referencePass(model, threads, pairs);
            System.out.printf(Locale.ROOT, "%-6s %14.1f %14.1f %16.1f %16.1f %8.3f %8.3f %10.3f %16.1f %8.3f%n", type, theirs, theirsNoFa,
                    ours[0], ours[1], ours[0] / theirs, ours[1] / theirs, ours[1] / theirsNoFa, ref, ref / theirs);
        }
    }

    /** The benchmark's model shape: a generated Llama of about 0.1B parameters. */
    static final TestModelFactory.Shape SHAPE = new TestModelFactory.Shape(1024, 8, 16, 4, 2816, 2048);

    /** The line naming the benchmark's model. */
    static String describe(Path tokenizer) {
        return String.format(Locale.ROOT, "model: generated llama dim %d, %d layers, %d heads (%d kv), ffn %d, vocab from %s",
                SHAPE.dim(), SHAPE.layers(), SHAPE.heads(), SHAPE.kvHeads(), SHAPE.ffn(), tokenizer.getFileName());
    }

    /** The generated model in {@code type}, written (and quantized by llama.cpp) under work the first time. */
    static Path model(Path work, Path tokenizer, FileType type, int threads) throws Exception {
        Path f32 = work.resolve("bench-llama-1024x8.f32.gguf");
        if (!Files.exists(f32)) TestModelFactory.writeLlama(tokenizer, SHAPE, 1, f32);
        if (type == FileType.F32) return f32;
        Path model = work.resolve("bench-llama-1024x8." + type.name().toLowerCase(Locale.ROOT) + ".gguf");
        if (!Files.exists(model)) ModelQuantizer.quantize(f32, model, type, threads);
        return model;
    }

    static double llamaBench(Path tool, Path model, int threads, int n, int reps) throws Exception {
        return llamaBench(tool, model, threads, reps, "-p", String.valueOf(n), "-n", "0", "-b", String.valueOf(n), "-ub", String.valueOf(n));
    }

    /** Layers on the GPU for both sides (JDPO_BENCH_NGL, default 0: the CPU); llama-bench's own default would be all. */
    static int gpuLayers() {
        return Integer.parseInt(System.getenv().getOrDefault("JDPO_BENCH_NGL", "0"));
    }

    /** llama-bench's best tokens/s over reps of one test (its -p/-n arguments in {@code test}), with {@link #gpuLayers()}. */
    static double llamaBench(Path tool, Path model, int threads, int reps, String... test) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(tool.toString(), "-m", model.toString(), "-t", String.valueOf(threads),
                "-ngl", String.valueOf(gpuLayers()), "-r", String.valueOf(reps), "-o", "json"));
        cmd.addAll(List.of(test));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        JsonNode json = new ObjectMapper().readTree(p.getInputStream());
        if (p.waitFor() != 0) throw new IllegalStateException("llama-bench failed on " + model);
        // The best repetition: on a shared 2-core machine the mean mostly measures interference.
        double best = 0;
        for (JsonNode v : json.get(0).get("samples_ts")) best = Math.max(best, v.asDouble());
        return best;
    }

    /** Pairs and length of the reference-pass column: HH-RLHF as jdpo train reads it, cut as --max-length 256 cuts it (other limits at their defaults). */
    static final int REFERENCE_PAIRS = 32, MAX_LENGTH = 256;

    /** The first HH-RLHF pairs tokenized for the benchmark's model and truncated; empty without the test data. */
    static List<PreferencePair> realPairs(Path model) {
        Path hh = TestData.root().resolve("preferences/hh-rlhf-harmless-base-test.jsonl.gz");
        if (!Files.exists(hh)) return List.of();
        Truncation cut = TrainConfig.defaults().toBuilder().maxLength(MAX_LENGTH).build().truncation();
        try (PairLoader loader = PairLoader.open(model, null)) {
            List<PreferencePair> out = new ArrayList<>();
            for (PreferencePair p : loader.encode(PreferenceReader.read(hh, null, new RowFindings(false)), REFERENCE_PAIRS)) out.add(cut.apply(p));
            return out;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** jdpo train's reference pass (no cache): pair tokens (prompt once, both completions) per second, one run after a warm-up. */
    static double referencePass(Path model, int threads, List<PreferencePair> pairs) throws java.io.IOException {
        ReferenceScorer scorer = new ReferenceScorer(model, threads, gpuLayers(), null);
        scorer.score(pairs.subList(0, Math.min(4, pairs.size())), null, TrainListener.SILENT);
        long tokens = 0;
        for (PreferencePair p : pairs) tokens += p.prompt().length + p.chosen().length + p.rejected().length;
        long t0 = System.nanoTime();
        scorer.score(pairs, null, TrainListener.SILENT);
        return tokens / ((System.nanoTime() - t0) / 1e9);
    }

    /** {decode tokens/s, scoring tokens/s}, each the best of reps (as for llama-bench), after three warm-ups. */
    static double[] ours(Path path, int threads, int n, int reps) {
        Random rnd = new Random(5);
        try (LlamaModel m = LlamaModel.load(path, ModelParams.defaults().withGpuLayers(gpuLayers()));
             LlamaContext fast = LlamaContext.create(m, new ContextParams(n, n, n, 1, threads, threads, true, false));
             LlamaContext exact = LlamaContext.create(m, new ContextParams(n, n, n, 1, threads, threads, false, true));
             Batch batch = new Batch(n, 1)) {
            int vocab = m.tokenizer().vocabularySize();
            int[] tokens = new int[n];
            for (int i = 0; i < n; i++) tokens[i] = 3 + rnd.nextInt(vocab - 3);
            double decodeSeconds = Double.MAX_VALUE, scoreSeconds = Double.MAX_VALUE;
            LogProbScorer scorer = new LogProbScorer(exact);
            int[] prompt = {tokens[0]};
            int[] completion = java.util.Arrays.copyOfRange(tokens, 1, n);
            for (int r = -2; r <= reps; r++) {
                fast.clearMemory();
                batch.clear();
                for (int i = 0; i < n; i++) batch.add(tokens[i], i, i == n - 1, 0);
                long t0 = System.nanoTime();
                fast.decode(batch);
                long t1 = System.nanoTime();
                scorer.score(prompt, completion);
                long t2 = System.nanoTime();
                if (r > 0) {
                    decodeSeconds = Math.min(decodeSeconds, (t1 - t0) / 1e9);
                    scoreSeconds = Math.min(scoreSeconds, (t2 - t1) / 1e9);
                }
            }
            return new double[]{n / decodeSeconds, n / scoreSeconds};
        }
    }
}
