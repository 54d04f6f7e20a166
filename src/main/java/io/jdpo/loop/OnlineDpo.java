package io.jdpo.loop;

import io.jdpo.progress.StepMetrics;
import io.jdpo.progress.TrainListener;
import io.jdpo.train.DpoMetrics;
import io.jdpo.train.DpoTrainer;
import io.jdpo.train.InitAdapter;
import io.jdpo.train.MetricsLog;
import io.jdpo.train.RunFolder;
import io.jdpo.train.TrainConfig;
import io.jdpo.verify.Reward;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Online DPO (Guo et al. 2024, as TRL's OnlineDPOTrainer runs it, with a reward function in
 * place of a reward model). Each round: llama.cpp samples K completions of every training
 * prompt from base + the current adapter, the reward ranks them, the best and the worst of
 * each prompt become a pair (ties dropped and counted), their reference log-probs come from
 * the same context with the adapter detached, and the DPO trainer takes its steps on the
 * round's pairs; the adapter is then exported and hot-swapped into the context for the next
 * round. Held-out prompts are sampled before the first round and after each one, with the
 * same seeds every time, for the reward and the KL(π‖π_ref) it costs.
 */
public final class OnlineDpo {
    /**
     * The loop's own settings (the trainer's are a {@link TrainConfig}).
     *
     * @param rounds sample–rank–train rounds (>= 1)
     * @param samplesPerPrompt K, completions sampled per training prompt each round (>= 2)
     * @param stepsPerRound optimizer steps on each round's pairs (>= 1)
     * @param evalSamples completions sampled per held-out prompt at each evaluation (>= 1)
     * @param sampling temperature, top-p, length, stop strings and seed of every sample
     */
    public record Config(int rounds, int samplesPerPrompt, int stepsPerRound, int evalSamples, Sampling sampling) {
        /**
         * Checks the settings.
         *
 when a count is below its minimum
         */
        public Config {
            if (rounds < 1 || stepsPerRound < 1 || evalSamples < 1) throw new IllegalArgumentException("rounds, steps per round and eval samples must be >= 1");
            if (samplesPerPrompt < 2) throw new IllegalArgumentException("online DPO ranks K >= 2 samples per prompt, got K = " + samplesPerPrompt);
        }
    }

    /**
     * One round's numbers; its {@link #row()} is the round's line of metrics.jsonl, under TRL's
     * OnlineDPOTrainer names.
     *
     * @param round 1-based round
     * @param step the trainer's step after the round
     * @param pairs pairs trained on
     * @param ties prompts dropped because all K samples had the same reward
     * @param scoresMargin mean reward(chosen) − reward(rejected) of the pairs (objective/scores_margin)
     * @param train statistics of the round's training samples (drawn before its steps)
     * @param heldOut statistics of the held-out samples after the round's steps (null without held-out prompts)
     * @param dpo the means over the round's steps of the trainer's DPO metrics (loss, rewards/*, logps/*); empty without a step
     * @param policyGap the largest |log-prob| difference per token between llama.cpp with the
     *                  swapped-in adapter and the Java policy that was trained, over the first
     *                  held-out samples (NaN without held-out prompts): the check that llama.cpp
     *                  samples from the policy the trainer holds
     * @param beta the DPO β (and the KL coefficient of objective/rlhf_reward)
     * @param swapSeconds time to load the new adapter into the running context and attach it
     * @param sampleSeconds time to sample and score the round's training completions
     * @param trainSeconds time of the round's optimizer steps
     */
    public record Round(int round, int step, int pairs, int ties, double scoresMargin, RolloutStats train, RolloutStats heldOut,
                        Map<String, Double> dpo, double policyGap, double beta, double swapSeconds, double sampleSeconds, double trainSeconds) implements StepMetrics {
        /** Copies {@code dpo}: the record is immutable. */
        public Round {
            dpo = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(dpo));
        }

        /** {@return false: the round's row describes its training samples (held-out numbers carry the eval_ prefix inside it)} */
        @Override
        public boolean eval() {
            return false;
        }

        /** {@return the mean DPO loss of the round's steps (NaN without a step)} */
        @Override
        public double loss() {
            return dpo.getOrDefault("loss", Double.NaN);
        }

        @Override
        public Map<String, Object> row() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("step", step);
            m.put("round", round);
            m.putAll(train.row("", beta));
            m.put("objective/scores_margin", scoresMargin);
            m.put("pairs", pairs);
            m.put("ties", ties);
            m.putAll(dpo);
            m.put("beta", beta);
            if (!Double.isNaN(policyGap)) m.put("policy_gap/max", policyGap);
            m.put("adapter_swap_seconds", swapSeconds);
            m.put("sample_seconds", sampleSeconds);
            m.put("train_seconds", trainSeconds);
            if (heldOut != null) m.putAll(heldOut.row("eval_", beta));
            return m;
        }
    }

    /**
     * The held-out numbers of the base model, before the first round (metrics.jsonl's first row).
     *
     * @param stats statistics of the held-out samples
     * @param beta the KL coefficient of objective/rlhf_reward
     */
    record Before(RolloutStats stats, double beta) implements StepMetrics {
        @Override
        public int step() {
            return 0;
        }

        @Override
        public boolean eval() {
            return true;
        }

        @Override
        public double loss() {
            return Double.NaN;
        }

        @Override
        public Map<String, Object> row() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("step", 0);
            m.put("round", 0);
            m.putAll(stats.row("eval_", beta));
            return m;
        }
    }

    /**
     * What a run made.
     *
     * @param adapter the final adapter (llama.cpp LoRA GGUF)
     * @param metrics metrics.jsonl: a row per optimizer step, a row per round
     * @param before held-out statistics of the base model (before any round)
     * @param rounds every round's numbers
     */
    public record Result(Path adapter, Path metrics, RolloutStats before, List<Round> rounds) {
    }

    private OnlineDpo() {
    }

    /**
     * Runs online DPO into {@code out} (adapter.gguf, metrics.jsonl, config.txt).
     *
     * @param model the base GGUF (policy base and reference)
     * @param trainPrompts prompt texts sampled from each round (tokenized with BOS, as llama.cpp's tools do)
     * @param evalPrompts held-out prompt texts (may be empty: no evaluation)
     * @param reward the ground-truth reward of a completion's text
     * @param train the trainer's settings; its max steps are set to rounds × steps per round
     * @param cfg the loop's settings
     * @param out the run folder
     * @param initAdapter an SFT adapter the policy starts from and the reference keeps (base +
     *                    it), or null for the base and a fresh adapter; the trainer's rank,
     *                    alpha and targets become the adapter's
     * @param overwrite whether an earlier run's results in {@code out} may be replaced
     * @param listener progress (stage "online": work units of the whole run), messages and metric rows
     * @return the adapter, the metrics and each round's numbers
     * @throws IOException when the model, the adapter or the metrics cannot be read or written
     */
    public static Result run(Path model, List<String> trainPrompts, List<String> evalPrompts, Reward reward, TrainConfig train,
                             Config cfg, Path out, Path initAdapter, boolean overwrite, TrainListener listener) throws IOException {
        if (trainPrompts.isEmpty()) throw new IllegalArgumentException("no training prompt");
        RunFolder.checkFree(out, false, overwrite);
        Files.createDirectories(out);
        TrainConfig tc = (initAdapter == null ? train : InitAdapter.read(initAdapter).fit(train)).toBuilder()
                .maxSteps(cfg.rounds() * cfg.stepsPerRound()).build();
        RunFolder.writeConfig(out, cfg + System.lineSeparator() + tc);
        Sampling sampling = cfg.sampling();
        int k = Math.max(cfg.samplesPerPrompt(), cfg.evalSamples());
        long units = (long) cfg.rounds() * (trainPrompts.size() + cfg.stepsPerRound() + evalPrompts.size()) + evalPrompts.size();
        RunProgress progress = new RunProgress(listener, "online", units);
        Path adapter = out.resolve("adapter.gguf");
        List<Round> rounds = new ArrayList<>();
        try (RolloutSampler sampler = new RolloutSampler(model, maxPromptTokens(trainPrompts, evalPrompts), k, sampling.maxTokens(), sampling.threads(),
                sampling.gpuLayers());
             DpoTrainer.Session session = new DpoTrainer(tc).session(model, initAdapter);
             MetricsLog log = MetricsLog.create(out.resolve("metrics.jsonl"))) {
            if (initAdapter != null) sampler.referenceAdapter(initAdapter);
            List<int[]> trainTok = tokenize(sampler, trainPrompts), evalTok = tokenize(sampler, evalPrompts);
            RolloutStats before = evaluate(sampler, evalTok, cfg, reward, progress);
            if (before != null) {
                emit(log, listener, new Before(before, tc.beta()), Map.of());
                listener.message(String.format(Locale.ROOT, "round 0 (base): held-out reward %.3f, KL %.4f nats over %d samples",
                        before.scores(), before.kl(), before.samples()));
            }
            for (int r = 1; r <= cfg.rounds(); r++) {
                long t0 = System.nanoTime();
                List<List<Rollout>> groups = sampler.sample(trainTok, cfg.samplesPerPrompt(), sampling, r, reward, progress.samplingUnits());
                RolloutStats stats = RolloutStats.of(groups);
                RankedPairs ranked = RankedPairs.of(trainTok, groups);
                long t1 = System.nanoTime();
                List<DpoMetrics> steps = ranked.pairs().isEmpty() ? List.of()
                        : session.train(ranked.pairs(), ranked.refs(), cfg.stepsPerRound());
                for (DpoMetrics s : steps) emit(log, listener, s, Map.of("round", r));
                progress.advance(cfg.stepsPerRound(), 0);
                long t2 = System.nanoTime();
                if (steps.isEmpty()) {
                    listener.message("round " + r + ": every prompt's " + cfg.samplesPerPrompt() + " samples tied: no pair, no step");
                }
                session.writeAdapter(adapter);
                double swap = sampler.swap(adapter);
                List<List<Rollout>> held = evalTok.isEmpty() ? List.of()
                        : sampler.sample(evalTok, cfg.evalSamples(), sampling, -1, reward, progress.samplingUnits());
                RolloutStats eval = held.isEmpty() ? null : RolloutStats.of(held);
                double gap = held.isEmpty() ? Double.NaN : policyGap(session, evalTok, held);
                Round round = new Round(r, session.step(), ranked.pairs().size(), ranked.ties(), ranked.scoresMargin(), stats, eval,
                        means(steps), gap, tc.beta(), swap, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
                rounds.add(round);
                emit(log, listener, round, Map.of());
                listener.message(String.format(Locale.ROOT, "round %d: %d pairs (%d ties), samples' reward %.3f, KL %.4f;%s adapter swap %.1f ms",
                        r, round.pairs(), round.ties(), stats.scores(), stats.kl(),
                        eval == null ? "" : String.format(Locale.ROOT, " held-out reward %.3f, KL %.4f;", eval.scores(), eval.kl()), swap * 1e3));
            }
            return new Result(adapter, out.resolve("metrics.jsonl"), before, List.copyOf(rounds));
        }
    }

    /** The means over a round's steps of the DPO metrics TRL's online trainer logs (loss, rewards/*, logps/*). */
    private static Map<String, Double> means(List<DpoMetrics> steps) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String key : List.of("loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected")) {
            double s = 0;
            int n = 0;
            for (DpoMetrics row : steps) {
                if (row.row().get(key) instanceof Number v) {
                    s += v.doubleValue();
                    n++;
                }
            }
            if (n > 0) m.put(key, s / n);
        }
        return m;
    }

    /** Max |llama.cpp − Java| per-token policy log-prob over the first held-out prompt's samples. */
    private static double policyGap(DpoTrainer.Session session, List<int[]> prompts, List<List<Rollout>> held) {
        double max = 0;
        for (Rollout r : held.getFirst()) {
            float[] java = session.logProbs(prompts.get(r.prompt()), r.tokens());
            for (int t = 0; t < java.length; t++) max = Math.max(max, Math.abs(java[t] - r.policy()[t]));
        }
        return max;
    }

    /** Held-out samples with the same seeds at every evaluation (round id -1), so rounds differ only by the adapter; null without held-out prompts. */
    private static RolloutStats evaluate(RolloutSampler sampler, List<int[]> prompts, Config cfg, Reward reward, RunProgress progress) {
        if (prompts.isEmpty()) return null;
        return RolloutStats.of(sampler.sample(prompts, cfg.evalSamples(), cfg.sampling(), -1, reward, progress.samplingUnits()));
    }

    static List<int[]> tokenize(RolloutSampler sampler, List<String> prompts) {
        return prompts.stream().map(p -> sampler.tokenizer().tokenize(p, true, false)).toList();
    }

    /** An upper bound of any prompt's token count (a token holds at least one UTF-8 byte; BOS and a spare on top). */
    static int maxPromptTokens(List<String> a, List<String> b) {
        int m = 0;
        for (List<String> l : List.of(a, b)) for (String s : l) m = Math.max(m, s.getBytes(StandardCharsets.UTF_8).length + 2);
        return m;
    }

    /** Writes a row (with {@code extra} fields added to the file's copy) and shows it. */
    private static void emit(MetricsLog log, TrainListener listener, StepMetrics row, Map<String, Object> extra) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>(row.row());
        m.putAll(extra);
        log.write(m);
        listener.metrics(row);
    }
}
