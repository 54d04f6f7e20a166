package io.jdpo.loop;

import io.jdpo.progress.TrainListener;
import io.jdpo.report.FrontierPage;
import io.jdpo.train.DpoTrainer;
import io.jdpo.train.InitAdapter;
import io.jdpo.train.LossType;
import io.jdpo.train.TrainConfig;
import io.jdpo.verify.Reward;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The DPO paper's Figure 2 in miniature: for a model, prompts and a ground-truth reward,
 * pairs are sampled from the reference and labelled by the reward (best and worst of K per
 * prompt), each method trains on them, and every {@code evalEvery} steps the policy is
 * hot-swapped into llama.cpp and M completions per held-out prompt give a point (sequence-level
 * KL(π‖π_ref), the mean of log π(y|x) − log π_ref(y|x) over samples y ~ π, both log-probs from
 * llama.cpp; and the mean reward). Best-of-N from the reference is added at its KL bound
 * log N − (N−1)/N with its measured reward.
 */
public final class Frontier {
    /**
     * A trained series of the plot.
     *
     * @param name its legend ("DPO β=0.1", "Preferred-FT", ...)
     * @param config the trainer's settings (loss, β, learning rate...); max steps is set by the frontier
     */
    public record Method(String name, TrainConfig config) {
    }

    /**
     * The frontier's settings.
     *
     * @param pairSamples K, reference samples per training prompt ranked into a pair (>= 2)
     * @param steps optimizer steps per method
     * @param evalEvery steps between evaluations (the last step is always evaluated)
     * @param evalSamples M, samples per held-out prompt at each evaluation
     * @param bestOfN the N of Best-of-N, each dividing the largest
     * @param sampling sampling settings of every sample
     */
    public record Config(int pairSamples, int steps, int evalEvery, int evalSamples, List<Integer> bestOfN, Sampling sampling) {
        /**
         * Checks the settings.
         *
 when a count is out of range or an N does not divide the largest
         */
        public Config {
            if (pairSamples < 2) throw new IllegalArgumentException("pairs need K >= 2 samples per prompt, got " + pairSamples);
            if (steps < 1 || evalEvery < 1 || evalSamples < 1) throw new IllegalArgumentException("steps, eval interval and eval samples must be >= 1");
            bestOfN = List.copyOf(bestOfN);
            int max = bestOfN.stream().mapToInt(Integer::intValue).max().orElse(0);
            for (int n : bestOfN) if (n < 1 || max % n != 0) throw new IllegalArgumentException("Best-of-N: every N must divide the largest (" + max + "), got " + n);
        }
    }

    /** Prompts the quick setting keeps: the first 16 training and the first 4 held-out ones. */
    public static final int QUICK_TRAIN_PROMPTS = 16, QUICK_EVAL_PROMPTS = 4;

    /**
     * The quick setting ({@code jdpo frontier --quick}, and the test suite's): 12 steps
     * evaluated every 6, M = 4, N up to 16, at most 12 tokens per sample; K and the rest of the
     * sampling as given. Run it on {@link #QUICK_TRAIN_PROMPTS} and {@link #QUICK_EVAL_PROMPTS} prompts.
     *
     * @param full the settings to shrink
     * @return the quick settings
     */
    public static Config quick(Config full) {
        Sampling s = full.sampling();
        return new Config(full.pairSamples(), 12, 6, 4, List.of(1, 2, 4, 8, 16),
                new Sampling(s.temperature(), s.topP(), Math.min(12, s.maxTokens()), s.stopStrings(), s.seed(), s.threads(),
                        s.gpuLayers()));
    }

    /**
     * What a frontier run measured.
     *
     * @param points every point: the reference, each method's evaluations, Best-of-N
     * @param pairs pairs the methods trained on
     * @param ties training prompts dropped because all K samples had the same reward
     * @param jsonl the points as JSON Lines
     * @param csv the points as CSV
     * @param html the frontier page
     * @param seconds the whole run's wall time
     */
    public record Result(List<FrontierPage.Point> points, int pairs, int ties, Path jsonl, Path csv, Path html, double seconds) {
    }

    /** The legend of the reference point and of Best-of-N. */
    public static final String REFERENCE = "reference", BEST_OF_N = "Best-of-N";

    private Frontier() {
    }

    /**
     * The paper's methods on a base configuration: DPO at β ∈ {0.05, 0.1, 1, 5},
     * Preferred-FT (supervised fine-tuning on the chosen completions: the {@code sft} term
     * alone, each pair's mean token NLL) and Unlikelihood (the chosen's NLL plus α times the
     * rejected tokens' −log(1 − p), α the base configuration's ulAlpha).
     *
     * @param base the shared settings (adapter shape, learning rate, batch, seed, threads)
     * @return the methods, in legend order
     */
    public static List<Method> paperMethods(TrainConfig base) {
        List<Method> m = new ArrayList<>();
        for (double beta : new double[]{0.05, 0.1, 1, 5}) {
            m.add(new Method("DPO β=" + (beta == Math.rint(beta) ? Long.toString((long) beta) : Double.toString(beta)),
                    base.toBuilder().loss(LossType.SIGMOID).beta(beta).build()));
        }
        m.add(new Method("Preferred-FT", base.toBuilder().loss(LossType.SFT).build()));
        m.add(new Method("Unlikelihood", base.toBuilder().loss(LossType.UNLIKELIHOOD).build()));
        return m;
    }

    /**
     * Runs the frontier into {@code out}: points.jsonl, points.csv, frontier.html.
     *
     * @param model the base GGUF (the reference)
     * @param trainPrompts prompts sampled for the pairs
     * @param evalPrompts held-out prompts of every evaluation and of Best-of-N
     * @param reward the ground-truth reward
     * @param methods the trained series
     * @param cfg the frontier's settings
     * @param out the output folder (its three files are replaced)
     * @param initAdapter an SFT adapter: the reference becomes base + it (pairs and Best-of-N
     *                    sample from it, KL is measured against it) and every method starts
     *                    from it; null for the base and fresh adapters
     * @param listener progress (stage "frontier": work units of the whole run) and messages
     * @return the points and where they were written
     * @throws IOException when a file cannot be read or written
     */
    public static Result run(Path model, List<String> trainPrompts, List<String> evalPrompts, Reward reward, List<Method> methods,
                             Config cfg, Path out, Path initAdapter, TrainListener listener) throws IOException {
        if (trainPrompts.isEmpty() || evalPrompts.isEmpty()) throw new IllegalArgumentException("need training and held-out prompts");
        long started = System.nanoTime();
        Files.createDirectories(out);
        int maxN = cfg.bestOfN().stream().mapToInt(Integer::intValue).max().orElse(0);
        int evals = (cfg.steps() + cfg.evalEvery() - 1) / cfg.evalEvery();
        long units = trainPrompts.size() + (long) evalPrompts.size() * (1 + (maxN > 0 ? 1 : 0))
                + (long) methods.size() * (cfg.steps() + (long) evals * evalPrompts.size());
        RunProgress progress = new RunProgress(listener, "frontier", units);
        Sampling s = cfg.sampling();
        List<FrontierPage.Point> points = new ArrayList<>();
        Path adapter = out.resolve("adapter.gguf");
        int pairCount, ties;
        try (RolloutSampler sampler = new RolloutSampler(model, OnlineDpo.maxPromptTokens(trainPrompts, evalPrompts),
                Math.max(Math.max(cfg.pairSamples(), cfg.evalSamples()), maxN), s.maxTokens(), s.threads(), s.gpuLayers())) {
            if (initAdapter != null) sampler.referenceAdapter(initAdapter);
            List<int[]> trainTok = OnlineDpo.tokenize(sampler, trainPrompts), evalTok = OnlineDpo.tokenize(sampler, evalPrompts);
            RankedPairs ranked = RankedPairs.of(trainTok, sampler.sample(trainTok, cfg.pairSamples(), s, 0, reward, progress.samplingUnits()));
            pairCount = ranked.pairs().size();
            ties = ranked.ties();
            listener.message(String.format(Locale.ROOT, "pairs from the reference: %d of %d prompts (%d ties), reward margin %.3f",
                    pairCount, trainTok.size(), ties, ranked.scoresMargin()));
            if (ranked.pairs().isEmpty()) throw new IllegalStateException("every prompt's " + cfg.pairSamples() + " samples tied: no pair to train on");
            RolloutStats ref = RolloutStats.of(sampler.sample(evalTok, cfg.evalSamples(), s, -1, reward, progress.samplingUnits()));
            points.add(new FrontierPage.Point(REFERENCE, 0, ref.kl(), ref.scores()));
            if (maxN > 0) points.addAll(bestOfN(sampler.sample(evalTok, maxN, s, -2, reward, progress.samplingUnits()), cfg.bestOfN()));
            for (Method m : methods) {
                TrainConfig tc = (initAdapter == null ? m.config() : InitAdapter.read(initAdapter).fit(m.config())).toBuilder()
                        .maxSteps(cfg.steps()).build();
                try (DpoTrainer.Session session = new DpoTrainer(tc).session(model, initAdapter)) {
                    while (session.step() < cfg.steps()) {
                        int n = Math.min(cfg.evalEvery(), cfg.steps() - session.step());
                        session.train(ranked.pairs(), ranked.refs(), n);
                        progress.advance(n, 0);
                        session.writeAdapter(adapter);
                        sampler.swap(adapter);
                        // The same seeds at every evaluation of every method: points differ by the policy only.
                        RolloutStats st = RolloutStats.of(sampler.sample(evalTok, cfg.evalSamples(), s, -1, reward, progress.samplingUnits()));
                        points.add(new FrontierPage.Point(m.name(), session.step(), st.kl(), st.scores()));
                        listener.message(String.format(Locale.ROOT, "%s step %d: KL %.3f, reward %.3f", m.name(), session.step(), st.kl(), st.scores()));
                    }
                } finally {
                    sampler.swap(null);
                }
            }
        }
        Files.deleteIfExists(adapter);
        Path jsonl = out.resolve("points.jsonl"), csv = out.resolve("points.csv"), html = out.resolve("frontier.html");
        writeText(jsonl, jsonl(points));
        writeText(csv, csv(points));
        double seconds = (System.nanoTime() - started) / 1e9;
        FrontierPage.write(html, "Reward–KL frontier: " + model.getFileName(), points, notes(cfg, trainPrompts.size(), evalPrompts.size(), pairCount, ties, seconds),
                config(cfg, methods));
        return new Result(List.copyOf(points), pairCount, ties, jsonl, csv, html, seconds);
    }

    /**
     * Best-of-N from samples of the reference: the {@code maxN} samples of each prompt are cut
     * into maxN/N groups of N in sample order, each group contributes its best reward, and the
     * point's reward is the mean over groups and prompts; its KL is the bound log N − (N−1)/N.
     */
    static List<FrontierPage.Point> bestOfN(List<List<Rollout>> groups, List<Integer> ns) {
        List<FrontierPage.Point> out = new ArrayList<>();
        for (int n : ns) {
            double sum = 0;
            int count = 0;
            for (List<Rollout> g : groups) {
                for (int from = 0; from + n <= g.size(); from += n) {
                    double best = -Double.MAX_VALUE;
                    for (int i = from; i < from + n; i++) best = Math.max(best, g.get(i).reward());
                    sum += best;
                    count++;
                }
            }
            out.add(new FrontierPage.Point(BEST_OF_N, n, klBound(n), sum / Math.max(1, count)));
        }
        return out;
    }

    /**
     * The KL of Best-of-N from its reference is at most log N − (N−1)/N (Stiennon et al.;
     * the bound the DPO paper plots).
     *
     * @param n samples drawn (>= 1)
     * @return the bound in nats (0 for N = 1)
     */
    public static double klBound(int n) {
        return Math.log(n) - (n - 1.0) / n;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    static String jsonl(List<FrontierPage.Point> points) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (FrontierPage.Point p : points) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", p.method());
            m.put(p.method().equals(BEST_OF_N) ? "n" : "step", p.step());
            m.put("kl", p.kl());
            m.put("kl_kind", p.method().equals(BEST_OF_N) ? "bound" : "measured");
            m.put("reward", p.reward());
            sb.append(JSON.writeValueAsString(m)).append('\n');
        }
        return sb.toString();
    }

    static String csv(List<FrontierPage.Point> points) {
        StringBuilder sb = new StringBuilder("method,step_or_n,kl,kl_kind,reward\n");
        for (FrontierPage.Point p : points) {
            sb.append('"').append(p.method().replace("\"", "\"\"")).append("\",").append(p.step()).append(',')
                    .append(p.kl()).append(',').append(p.method().equals(BEST_OF_N) ? "bound" : "measured").append(',').append(p.reward()).append('\n');
        }
        return sb.toString();
    }

    private static List<String> notes(Config cfg, int train, int eval, int pairs, int ties, double seconds) {
        return List.of(
                String.format(Locale.ROOT, "Pairs: %d reference samples per prompt on %d training prompts, best and worst by the reward (%d pairs, %d prompts tied).",
                        cfg.pairSamples(), train, pairs, ties),
                String.format(Locale.ROOT, "Each point: %d samples per held-out prompt (%d prompts) at temperature %s, top-p %s, up to %d tokens; "
                                + "KL = mean of log π(y|x) − log π_ref(y|x) over the samples, both from llama.cpp; the same seeds at every point.",
                        cfg.evalSamples(), eval, cfg.sampling().temperature(), cfg.sampling().topP(), cfg.sampling().maxTokens()),
                "Best-of-N (dashed): the best of N reference samples by the reward, at its KL bound log N − (N−1)/N.",
                String.format(Locale.ROOT, "Measured in %.0f s.", seconds));
    }

    private static Map<String, String> config(Config cfg, List<Method> methods) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("frontier", cfg.toString());
        for (Method x : methods) m.put(x.name(), x.config().toString());
        return m;
    }

    private static void writeText(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".partial");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
