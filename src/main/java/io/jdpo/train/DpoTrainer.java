package io.jdpo.train;

import io.jdpo.progress.ConsoleProgress;
import io.jdpo.progress.TrainListener;

import io.jdpo.data.DataOrder;
import io.jdpo.data.PreferencePair;
import io.jdpo.data.Truncation;
import io.jdpo.data.UnpairedSample;

import io.jdpo.JdpoException;
import io.jdpo.adapter.AdapterExporter;
import io.jdpo.model.DequantizedCopy;
import io.jdpo.tensor.Arithmetic;
import io.jdpo.model.ForwardPass;
import io.jdpo.model.LoraWeights;
import io.jdpo.model.Transformer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * DPO (and the rest of the preference-loss family: {@link DpoLoss}) with a LoRA adapter on the frozen, still-quantized GGUF weights:
 * llama.cpp scores the reference once (cached), the Java transformer computes the policy
 * and its gradient, AdamW updates the adapter. Usable without the CLI:
 * <pre>{@code
 * TrainConfig cfg = TrainConfig.defaults().toBuilder().beta(0.1).maxSteps(100).build();
 * TrainResult r = new DpoTrainer(cfg).train(model, trainPairs, evalPairs, outDir, null, new ConsoleProgress(System.out, false));
 * }</pre>
 *
 * <p>A trainer holds only its settings: configure it, then call {@code train} from one thread
 * (it is not thread-safe); it may run several trainings one after another. Each run loads and
 * frees its own native models.
 */
public final class DpoTrainer {
    /**
     * Step-0 bounds on |Java forward − llama.cpp| per token on the same weights without
     * activation rounding (mean, max nats): the parity the Java forward reaches on every
     * supported model, with room for float rounding only.
     */
    public static final double MAX_MEAN_GAP = 1e-4, MAX_TOKEN_GAP = 2e-3;
    /**
     * The largest step-0 gap (nats, any token) at which the policy counts as its reference:
     * a few float ulps of a log-prob (stories260K: 4.7e-10, the policy's log-sum-exp added
     * panel by panel, the reference's whole).
     */
    static final double SAME_TO_AN_ULP = 1e-6;
    private static final int GAP_PAIRS = 16;

    private final TrainConfig cfg;
    private final DpoLoss loss;
    private Path cacheDir = ReferenceScorer.defaultCacheDir();
    private Map<String, Object> dataSummary = Map.of();
    private double maxMeanGap = MAX_MEAN_GAP, maxTokenGap = MAX_TOKEN_GAP;
    /** Step 0's F32 copy limit in bytes ({@link #f32CopyLimit}); negative: the machine's default. */
    private long copyLimit = -1;

    private boolean overwrite;
    private Path initAdapter;

    /** The JVM flag the Java forward and backward need; checked here, not after the reference pass. */
    public static final String VECTOR_FLAG = "--add-modules jdk.incubator.vector";

    /**
     * A trainer with this configuration; its loss is built here ({@link TrainConfig#dpoLoss()}).
     *
     * @param cfg the run's settings
     * @throws JdpoException when the JVM runs without {@code jdk.incubator.vector} (the SIMD
     *         kernels' module): training would otherwise fail with NoClassDefFoundError only
     *         after minutes of reference scoring
     */
    public DpoTrainer(TrainConfig cfg) {
        TrainingLoop.requireVectorModule();
        this.cfg = cfg;
        this.loss = cfg.dpoLoss();
    }

    /**
     * Whether a run may replace the results of an earlier run in its output folder (default
     * false: such a folder is refused unless resuming; see {@link RunFolder}).
     *
     * @param overwrite true to let a new run replace {@code adapter.gguf}, {@code metrics.jsonl}
     *        and {@code report.html} of an earlier one
     * @return this trainer
     */
    public DpoTrainer overwrite(boolean overwrite) {
        this.overwrite = overwrite;
        return this;
    }

    /**
     * Fields added to metrics.jsonl's first record (for example what happened to the data's
     * rows), so the run's log says what it trained on. Default: none.
     *
     * @param fields names and JSON-writable values, in the order they are written (copied)
     * @return this trainer
     */
    public DpoTrainer dataSummary(Map<String, Object> fields) {
        this.dataSummary = Map.copyOf(fields);
        return this;
    }

    /**
     * Starts the policy from an adapter file (an SFT adapter, say) instead of a fresh adapter,
     * and scores the reference as base + that adapter in llama.cpp: DPO after SFT, with the SFT
     * model as reference. The config's rank, alpha and targets must be the file's
     * ({@link InitAdapter#fit} makes them so).
     *
     * @param adapter an F32/F16/BF16 LoRA adapter GGUF of this base model; null for a fresh adapter
     * @return this trainer
     */
    public DpoTrainer initAdapter(Path adapter) {
        this.initAdapter = adapter;
        return this;
    }

    /**
     * Where reference log-probs are cached (default {@link ReferenceScorer#defaultCacheDir()});
     * a later run on the same model, data and llama.cpp setup reads them instead of scoring.
     *
     * @param dir the cache folder (created when first written), or null to disable the cache
     * @return this trainer
     */
    public DpoTrainer cacheDir(Path dir) {
        this.cacheDir = dir;
        return this;
    }

    /**
     * Other step-0 bounds than {@link #MAX_MEAN_GAP} and {@link #MAX_TOKEN_GAP}: the largest
     * mean and largest single-token |Δ log-prob| (nats) between the Java forward and llama.cpp
     * that a run accepts before its first step. Beyond them the run is refused unless the
     * config forces it.
     *
     * @param maxMean bound on the mean per-token gap, in nats
     * @param maxToken bound on any one token's gap, in nats
     * @return this trainer
     */
    public DpoTrainer parityBounds(double maxMean, double maxToken) {
        this.maxMeanGap = maxMean;
        this.maxTokenGap = maxToken;
        return this;
    }

    /**
     * The most bytes step 0's F32 copy of a quantized model may take ({@code DequantizedCopy});
     * past it the Java forward check runs on a copy of the first blocks that fit, or, where not
     * even one does, is left out with a message saying so. By default the limit is half the
     * free space of the temporary folder and a quarter of the machine's memory, whichever is
     * smaller.
     *
     * @param bytes the limit, or a negative number for the default
     * @return this trainer
     */
    public DpoTrainer f32CopyLimit(long bytes) {
        this.copyLimit = bytes;
        return this;
    }

    /**
     * Trains on {@code trainSet}, evaluating on {@code evalSet} (may be empty); writes
     * {@code adapter.gguf}, {@code metrics.jsonl} and checkpoints under outDir. With
     * {@code resumeFrom} (a checkpoint directory of the same run) it continues exactly where
     * that run was. Pairs longer than the config's length limits are truncated first (the
     * count is in the result). Before the first step a run scores the reference with llama.cpp
     * (unless the loss is reference-free) and checks the Java forward against llama.cpp (step 0);
     * a run refused there writes no result.
     *
     * @param model the base model's GGUF file (kept quantized; never modified)
     * @param trainSet the tokenized training pairs
     * @param evalSet held-out pairs evaluated before training, every
     *        {@link TrainConfig#evalEvery()} steps and after the last;
     *        may be empty
     * @param outDir the run's folder (created); must not hold an earlier run's results unless
     *        resuming or {@link #overwrite(boolean)} allows it
     * @param resumeFrom a checkpoint folder of this run to continue from, or null to start at step 0
     * @param listener receives progress, messages and each step's metrics, on the calling thread
     * @return where the adapter and metrics went, and the last and held-out metrics
     * @throws IOException if a file cannot be read or written, or {@code resumeFrom} is not a
     *         checkpoint of this run (other settings, model or data)
     * @throws IllegalArgumentException if the loss is KTO (use {@link #trainUnpaired}), or a pair
     *         is longer than the model's trained context
     * @throws JdpoException if {@code outDir} holds an earlier run, or the step-0 check fails
     *         (non-finite log-probs, or a gap beyond the parity bounds without force)
     */
    public TrainResult train(Path model, List<PreferencePair> trainSet, List<PreferencePair> evalSet, Path outDir,
                             Path resumeFrom, TrainListener listener) throws IOException {
        if (loss.kto()) throw new IllegalArgumentException("kto trains on unpaired examples: use trainUnpaired (or split the pairs)");
        return run(model, trainSet, null, evalSet, null, outDir, resumeFrom, listener);
    }

    /**
     * KTO on unpaired examples (each a completion labelled desirable or not, with its
     * mismatched KL completion); otherwise as {@link #train}. Metrics: rewards/chosen and
     * rewards/rejected are the mean implicit rewards of the desirable and the undesirable
     * examples, kl the batches' reference point.
     *
     * @param model the base model's GGUF file (kept quantized; never modified)
     * @param trainSet the tokenized, labelled training examples
     * @param evalSet held-out examples; may be empty
     * @param outDir the run's folder, as for {@link #train}
     * @param resumeFrom a checkpoint folder of this run to continue from, or null to start at step 0
     * @param listener receives progress, messages and each step's metrics, on the calling thread
     * @return where the adapter and metrics went, and the last and held-out metrics
     * @throws IOException if a file cannot be read or written, or {@code resumeFrom} is not a
     *         checkpoint of this run
     * @throws IllegalArgumentException if the loss is not KTO (paired losses use {@link #train})
     * @throws JdpoException if {@code outDir} holds an earlier run, or the step-0 check fails
     */
    public TrainResult trainUnpaired(Path model, List<UnpairedSample> trainSet, List<UnpairedSample> evalSet, Path outDir,
                                     Path resumeFrom, TrainListener listener) throws IOException {
        if (!loss.kto()) throw new IllegalArgumentException("unpaired examples train with the kto loss, not " + loss.describe());
        return run(model, trainSet.stream().map(UnpairedSample::pair).toList(), labels(trainSet),
                evalSet.stream().map(UnpairedSample::pair).toList(), labels(evalSet), outDir, resumeFrom, listener);
    }

    private static boolean[] labels(List<UnpairedSample> set) {
        boolean[] b = new boolean[set.size()];
        for (int i = 0; i < b.length; i++) b[i] = set.get(i).desirable();
        return b;
    }

    /** The examples of one side of the run, truncated, with their reference scores and (KTO) labels. */
    private record Split(List<PreferencePair> pairs, List<ReferenceScorer.Scores> refs, boolean[] labels) {
    }

    /** What runs before the first step: the step-0 check's logged values. */
    private interface FirstStepCheck {
        Map<String, Object> run(Transformer tf) throws IOException;
    }

    /**
     * Preference optimisation as the training loop drives it: steps on one split, evaluations
     * on another (none when null; a session's caller evaluates itself), and the step-0 check
     * when one is given.
     */
    private final class PairObjective implements TrainingLoop.Objective<DpoMetrics> {
        private final Split train, eval;
        private final FirstStepCheck check;
        /** The step-0 gap, when the check showed the policy to be its reference (see {@link #evaluate}); else NaN. */
        private double policyIsReference = Double.NaN;

        PairObjective(Split train, Split eval, FirstStepCheck check) {
            this.train = train;
            this.eval = eval;
            this.check = check;
        }

        @Override
        public int trainSize() {
            return train.pairs().size();
        }

        @Override
        public TrainingLoop.StepOutcome<DpoMetrics> step(Transformer tf, LoraWeights grads, int step, DataOrder order) {
            return DpoTrainer.this.step(tf, grads, train, order, step);
        }

        @Override
        public boolean hasEval() {
            return eval != null;
        }

        /**
         * The held-out metrics. Before the first step, where step 0 showed the policy (a fresh
         * adapter, B = 0) to give the reference's log-probs to a float ulp, they are the
         * reference's log-probs, already scored: the Java forward over every held-out pair (3
         * minutes of 231 HH-RLHF pairs on the 16-layer bench model, before the first step) would
         * give the same numbers, to that ulp.
         */
        @Override
        public DpoMetrics evaluate(Transformer tf, int step, TrainListener listener) {
            if (eval == null) throw new UnsupportedOperationException("no evaluation split: the caller evaluates");
            boolean reference = step == 0 && !Double.isNaN(policyIsReference);
            if (reference) {
                listener.message(String.format(Locale.ROOT, "eval at step 0: the policy is its reference (a fresh adapter; step 0's gap %.2e"
                        + " nats at most), so its log-probs are the reference's already scored: no forward over the held-out pairs", policyIsReference));
            }
            return DpoTrainer.this.evaluate(tf, eval, step, listener, reference);
        }

        @Override
        public Map<String, Object> beforeFirstStep(Transformer tf) throws IOException {
            Map<String, Object> m = check == null ? Map.of() : check.run(tf);
            // A float ulp of a log-prob: both engines' arithmetic the same, up to the order of a log-sum-exp.
            if (initAdapter == null && m.get("policy_ref_gap/max") instanceof Double max && max <= SAME_TO_AN_ULP) policyIsReference = max;
            return m;
        }
    }

    private TrainResult run(Path model, List<PreferencePair> trainSet, boolean[] trainLabels, List<PreferencePair> evalSet,
                            boolean[] evalLabels, Path outDir, Path resumeFrom, TrainListener listener) throws IOException {
        RunFolder.checkFree(outDir, resumeFrom != null, overwrite);
        long started = System.nanoTime();
        Truncation limits = cfg.truncation();
        List<PreferencePair> train = new ArrayList<>(), eval = new ArrayList<>();
        int truncated = 0;
        for (PreferencePair p : trainSet) truncated += add(limits, p, train);
        for (PreferencePair p : evalSet) truncated += add(limits, p, eval);
        if (truncated > 0) {
            listener.message(truncated + " of " + (train.size() + eval.size()) + " pairs truncated to max_length "
                    + cfg.maxLength() + " / max_prompt_length " + cfg.maxPromptLength() + " (" + cfg.truncationMode().name().toLowerCase(Locale.ROOT) + ")");
        }
        int longest = train.stream().mapToInt(PreferencePair::packedLength).max().orElse(0);
        OffHeapBudget.check(model, cfg.loraConfig(), cfg.recompute(), longest, loss.batchCoupled() ? cfg.batchSize() : 1);
        String modelHash = Fingerprint.file(model);
        InitAdapter init = initAdapter == null ? null : InitAdapter.read(initAdapter);
        List<PreferencePair> all = new ArrayList<>(train);
        all.addAll(eval);
        List<ReferenceScorer.Scores> refs;
        ReferenceScorer scorer = new ReferenceScorer(model, cfg.threads(), cfg.gpuLayers(), cacheDir).adapter(initAdapter);
        if (loss.referenceFree()) {
            // No term reads the reference: llama.cpp never scores it (and there is no step-0 gap to check).
            listener.message("reference-free loss " + loss.describe() + ": no reference scoring");
            refs = all.stream().map(p -> new ReferenceScorer.Scores(new float[p.chosen().length], new float[p.rejected().length])).toList();
        } else {
            refs = scoreUsed(scorer, train, eval, modelHash, listener);
        }
        Split tr = new Split(train, refs.subList(0, train.size()), trainLabels);
        Split ev = new Split(eval, refs.subList(train.size(), refs.size()), evalLabels);
        String data = Fingerprint.pairs(train) + (trainLabels == null ? "" : Fingerprint.text(Arrays.toString(trainLabels)));
        // The adapter the policy starts from changes every result: a checkpoint of another start is refused.
        String config = init == null ? cfg.resumeFingerprint() : Fingerprint.text(cfg.resumeFingerprint() + " init " + init.sha256());
        Checkpoint.Identity id = new Checkpoint.Identity(config, modelHash, data);
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("jdpo.loss", loss.describe());
        provenance.put("jdpo.beta", Double.toString(loss.beta()));
        if (init != null) provenance.put("jdpo.init_adapter.sha256", init.sha256());
        TrainingLoop.Objective<DpoMetrics> objective = new PairObjective(tr, eval.isEmpty() ? null : ev,
                tf -> loss.referenceFree() ? Map.of() : gapCheck(model, tf, train, tr.refs(), scorer.backend(), listener));
        TrainingLoop.Outcome<DpoMetrics> o = new TrainingLoop(cfg).run(model, objective, id, initAdapter, outDir, resumeFrom,
                dataSummary, provenance, listener);
        return new TrainResult(o.adapter(), o.metrics(), o.steps(), o.lastTrain(), o.firstEval(), o.lastEval(), truncated,
                (System.nanoTime() - started) / 1e9, o.tokensPerSecond());
    }

    private static int add(Truncation limits, PreferencePair p, List<PreferencePair> to) {
        PreferencePair q = limits.apply(p);
        to.add(q);
        return q == p ? 0 : 1;
    }

    /**
     * Sums over the examples of one optimizer step (or one evaluation). Paired runs count
     * every pair on both sides; KTO counts desirable examples as "chosen" and undesirable ones
     * as "rejected", as TRL's KTOTrainer logs them.
     */
    private static final class StepStats implements TrainingLoop.StepOutcome<DpoMetrics> {
        int n, nChosen, nRejected, batches;
        long tokens;
        double loss, rc, rr, acc, lpc, lpr, kl;
        boolean kto;
        final Map<String, Double> terms = new LinkedHashMap<>();

        void add(DpoLoss.Result r, double policyChosen, double policyRejected) {
            n++;
            nChosen++;
            nRejected++;
            loss += r.loss();
            rc += r.rewardChosen();
            rr += r.rewardRejected();
            acc += r.correct() ? 1 : 0;
            lpc += policyChosen;
            lpr += policyRejected;
            r.terms().forEach((k, v) -> terms.merge(k, v, Double::sum));
        }

        void addKto(DpoLoss.Result r, double policy, boolean desirable) {
            kto = true;
            n++;
            loss += r.loss();
            r.terms().forEach((k, v) -> terms.merge(k, v, Double::sum));
            if (desirable) {
                nChosen++;
                rc += r.rewardChosen();
                lpc += policy;
            } else {
                nRejected++;
                rr += r.rewardChosen();
                lpr += policy;
            }
        }

        @Override
        public long tokens() {
            return tokens;
        }

        /** The step's means; a side the step had no example of, and KTO's accuracy, are NaN (absent from the row). */
        @Override
        public DpoMetrics metrics(int step, double epoch, double lr, double gradNorm, double tokensPerSecond) {
            return metrics(false, step, epoch, lr, gradNorm, tokensPerSecond);
        }

        DpoMetrics metrics(boolean eval, int step, double epoch, double lr, double gradNorm, double tokensPerSecond) {
            Map<String, Double> means = new LinkedHashMap<>();
            terms.forEach((k, v) -> means.put(k, v / n));
            double chosen = nChosen > 0 ? rc / nChosen : Double.NaN, rejected = nRejected > 0 ? rr / nRejected : Double.NaN;
            return new DpoMetrics(eval, step, epoch, loss / n, means, chosen, rejected, kto ? Double.NaN : acc / n,
                    chosen - rejected, nChosen > 0 ? lpc / nChosen : Double.NaN, nRejected > 0 ? lpr / nRejected : Double.NaN,
                    kto ? kl / batches : Double.NaN, lr, gradNorm, tokensPerSecond);
        }
    }

    /**
     * The loss's view of one pair from its per-token log-probs (chosen's then rejected's, as a
     * pair pass gives them): LD-DPO sums (shared length at weight 1, the longer completion's
     * tail at ld_alpha, for policy and reference alike as TRL 1.x does), the chosen's plain
     * sum for the SFT terms, and the WPO weight when the pass carries log Σp².
     */
    DpoLoss.Pair lossPair(PreferencePair p, float[] lp, float[] logSquares, ReferenceScorer.Scores ref) {
        int nc = p.chosen().length, nr = p.rejected().length, shared = Math.min(nc, nr);
        double a = cfg.ldAlpha();
        double pc = ldSum(lp, 0, nc, shared, a), pr = ldSum(lp, nc, nc + nr, shared, a);
        double rc = ldSum(ref.chosen(), 0, nc, shared, a), rr = ldSum(ref.rejected(), 0, nr, shared, a);
        double weight = 1;
        if (cfg.useWeighting() && logSquares != null) {
            // WPO eq. 2 as TRL computes it: w(y) = exp(mean_t (log p(y_t) − log Σ_v p_v²)), held constant; w = w(c)·w(r).
            weight = Math.exp(aligned(lp, logSquares, 0, nc) + aligned(lp, logSquares, nc, nc + nr));
        }
        double ul = loss.readsUnlikelihood() ? Unlikelihood.sum(lp, nc, nc + nr) : 0;
        return new DpoLoss.Pair(pc, pr, rc, rr, nc, nr, sum(lp, 0, nc), weight, ul);
    }

    private static double ldSum(float[] lp, int from, int to, int shared, double alpha) {
        if (alpha == 1) return sum(lp, from, to);
        double head = 0, tail = 0;
        for (int i = from; i < to; i++) {
            if (i - from < shared) head += lp[i];
            else tail += lp[i];
        }
        return head + alpha * tail;
    }

    private static double aligned(float[] lp, float[] logSquares, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += lp[i] - logSquares[i];
        return s / (to - from);
    }

    /**
     * dLoss/dlogp per token of a pair pass: LD's token weights on the preference part, the SFT
     * part on every chosen token, and the unlikelihood part on every rejected token (its own
     * slope p_t/(1 − p_t) at that token's log-prob, read from {@code lp}).
     */
    float[] tokenGradients(PreferencePair p, float[] lp, DpoLoss.Result r, double scale) {
        int nc = p.chosen().length, nr = p.rejected().length, shared = Math.min(nc, nr);
        double a = cfg.ldAlpha();
        float[] d = new float[nc + nr];
        for (int t = 0; t < nc; t++) d[t] = (float) ((r.dPolicyChosen() * (t < shared ? 1 : a) + r.dSftChosen()) * scale);
        for (int t = 0; t < nr; t++) {
            double ul = r.dUnlikelihood() == 0 ? 0 : r.dUnlikelihood() * Unlikelihood.slope(lp[nc + t]);
            d[nc + t] = (float) ((r.dPolicyRejected() * (t < shared ? 1 : a) + ul) * scale);
        }
        return d;
    }

    /** Results of one group of examples (a micro-batch for batch-coupled losses, else one pair); adds the group's KL for KTO. */
    private List<DpoLoss.Result> evaluateGroup(List<PreferencePair> pairs, List<float[]> lps, List<float[]> squares,
                                               List<ReferenceScorer.Scores> refs, boolean[] labels, StepStats s) {
        int n = pairs.size();
        if (loss.kto()) {
            List<DpoLoss.Unpaired> batch = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                PreferencePair p = pairs.get(i);
                float[] lp = lps.get(i);
                int nc = p.chosen().length;
                batch.add(new DpoLoss.Unpaired(sum(lp, 0, nc), refs.get(i).chosenSum(), sum(lp, nc, lp.length),
                        refs.get(i).rejectedSum(), nc, labels[i]));
            }
            DpoLoss.KtoBatch kb = loss.evaluateKto(batch);
            s.kl += kb.kl();
            s.batches++;
            for (int i = 0; i < n; i++) s.addKto(kb.results().get(i), batch.get(i).policy(), labels[i]);
            return kb.results();
        }
        List<DpoLoss.Pair> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) batch.add(lossPair(pairs.get(i), lps.get(i), squares == null ? null : squares.get(i), refs.get(i)));
        List<DpoLoss.Result> out = loss.evaluate(batch);
        for (int i = 0; i < n; i++) {
            float[] lp = lps.get(i);
            int nc = pairs.get(i).chosen().length;
            s.add(out.get(i), sum(lp, 0, nc), sum(lp, nc, lp.length));
        }
        return out;
    }

    /**
     * One optimizer step over {@code pairsPerStep} examples. A loss whose pairs depend on each
     * other (AOT's sorts, KTO's KL point) sees a micro-batch at once: its forward passes are
     * held until the batch's loss is known (memory grows with the batch size; --recompute
     * bounds it). Every other loss runs forward, loss and backward one pair at a time.
     */
    private StepStats step(Transformer tf, LoraWeights grads, Split train, DataOrder order, int step) {
        int n = cfg.pairsPerStep(), group = loss.batchCoupled() ? cfg.batchSize() : 1;
        StepStats s = new StepStats();
        for (int g0 = 0; g0 < n; g0 += group) {
            int m = Math.min(group, n - g0);
            List<PreferencePair> pairs = new ArrayList<>(m);
            List<ReferenceScorer.Scores> refs = new ArrayList<>(m);
            List<ForwardPass> passes = new ArrayList<>(m);
            List<float[]> lps = new ArrayList<>(m), squares = new ArrayList<>(m);
            boolean[] labels = new boolean[m];
            for (int j = 0; j < m; j++) {
                int i = g0 + j, idx = order.at((long) step * n + i);
                PreferencePair p = train.pairs().get(idx);
                pairs.add(p);
                refs.add(train.refs().get(idx));
                if (train.labels() != null) labels[j] = train.labels()[idx];
                // The prompt goes through the model once for both completions.
                // The dropout masks of a pair are a function of (seed, step, slot), so a resumed run draws the same ones.
                long dropoutSeed = cfg.seed() * 0x9E3779B97F4A7C15L + (long) step * n + i;
                ForwardPass pass = tf.forwardPair(p.prompt(), p.chosen(), p.rejected(), cfg.recompute(), dropoutSeed);
                passes.add(pass);
                lps.add(pass.logProbs());
                squares.add(pass.logSquaredProbs());
                s.tokens += 2L * p.prompt().length + p.chosen().length + p.rejected().length;
            }
            List<DpoLoss.Result> results = evaluateGroup(pairs, lps, squares, refs, labels, s);
            for (int j = 0; j < m; j++) {
                // The step's loss is the mean over its examples: each one's gradient is weighted 1/n.
                // KTO's KL completion (branch 1) gets none: the reference point is held constant.
                tf.backward(passes.get(j), tokenGradients(pairs.get(j), lps.get(j), results.get(j), 1.0 / n), grads);
            }
        }
        return s;
    }

    /**
     * Loss, rewards and accuracy of the current adapter on held-out examples (forward only), as
     * eval_* metrics; batch-coupled losses see the examples in micro-batches of the training
     * batch size, in order. WPO weights need the training pass's softmax, so eval_loss is unweighted.
     */
    private DpoMetrics evaluate(Transformer tf, Split set, int step, TrainListener listener, boolean referenceIsPolicy) {
        StepStats s = new StepStats();
        int group = loss.batchCoupled() ? cfg.batchSize() : 1, total = set.pairs().size();
        for (int g0 = 0; g0 < total; g0 += group) {
            int m = Math.min(group, total - g0);
            List<PreferencePair> pairs = set.pairs().subList(g0, g0 + m);
            List<float[]> lps = new ArrayList<>(m);
            for (int j = 0; j < m; j++) {
                PreferencePair p = pairs.get(j);
                lps.add(referenceIsPolicy ? joined(set.refs().get(g0 + j)) : tf.logProbsPair(p.prompt(), p.chosen(), p.rejected()));
                s.tokens += 2L * p.prompt().length + p.chosen().length + p.rejected().length;
            }
            evaluateGroup(pairs, lps, null, set.refs().subList(g0, g0 + m),
                    set.labels() == null ? new boolean[m] : Arrays.copyOfRange(set.labels(), g0, g0 + m), s);
            listener.progress("eval", g0 + m, total, s.tokens);
        }
        return s.metrics(true, step, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }

    /** A pair's reference log-probs as the pair forward lays out its own: the chosen completion's, then the rejected one's. */
    private static float[] joined(ReferenceScorer.Scores r) {
        float[] out = Arrays.copyOf(r.chosen(), r.chosen().length + r.rejected().length);
        System.arraycopy(r.rejected(), 0, out, r.chosen().length, r.rejected().length);
        return out;
    }

    /**
     * Reference log-probs of the pairs this run reads: every held-out pair, and of the training
     * pairs those the steps visit (the data order is a function of the seed, so they are known
     * up front) plus the first ones the step-0 check compares. A short run on a large file
     * then waits only for what it trains on. The list has train.size() + eval.size() entries,
     * null for training pairs no step reads.
     */
    private List<ReferenceScorer.Scores> scoreUsed(ReferenceScorer scorer, List<PreferencePair> train, List<PreferencePair> eval,
                                                   String modelHash, TrainListener listener) throws IOException {
        int n = train.size();
        boolean[] used = new boolean[n];
        long visits = (long) cfg.totalSteps(n) * cfg.pairsPerStep();
        if (visits >= n) {
            Arrays.fill(used, true);
        } else {
            DataOrder order = new DataOrder(n, cfg.seed());
            for (long k = 0; k < visits; k++) used[order.at(k)] = true;
            for (int i = 0; i < Math.min(GAP_PAIRS, n); i++) used[i] = true;
        }
        List<Integer> wanted = new ArrayList<>();
        for (int i = 0; i < n; i++) if (used[i]) wanted.add(i);
        for (int i = 0; i < eval.size(); i++) wanted.add(n + i);
        if (wanted.size() - eval.size() < n) {
            listener.message("reference scoring: the " + (wanted.size() - eval.size()) + " of " + n
                    + " training pairs this run's steps read (and " + eval.size() + " held out)");
        }
        List<PreferencePair> toScore = new ArrayList<>(wanted.size());
        for (int i : wanted) toScore.add(i < n ? train.get(i) : eval.get(i - n));
        List<ReferenceScorer.Scores> scored = scorer.score(toScore, modelHash, listener);
        ReferenceScorer.Scores[] refs = new ReferenceScorer.Scores[n + eval.size()];
        for (int k = 0; k < wanted.size(); k++) refs[wanted.get(k)] = scored.get(k);
        return Arrays.asList(refs);
    }

    /**
     * Step 0, before any update (B = 0, so the base model), on the first pairs. Two questions,
     * kept apart:
     * <ol>
     * <li>Is the Java forward right? Its float arithmetic against llama.cpp on the CPU on the
     * same weights without activation rounding: the file itself when all its projections are
     * F32, else an F32 copy of it ({@link DequantizedCopy}, written to a temporary folder and
     * deleted). Where that copy has no room ({@link CopyRoom}), the check runs on a model of the
     * first blocks that fit, both sides ({@link DequantizedCopy#firstLayers}); where not even one
     * block fits, or the policy starts from an adapter, it is left out with a line that says so.
     * Beyond the parity bounds the run is refused unless forced.</li>
     * <li>How far apart are the arithmetics on this file? The policy's own arithmetic and
     * the float one against the reference (llama.cpp on the backend that scored it):
     * reported, never refused. In the deployed arithmetic on the CPU this gap is 0 where
     * ggml's order is known (the pair forward follows the reference scorer's decodes; a float
     * ulp at most); against a GPU reference it is the GPU's own arithmetic.</li>
     * </ol>
     */
    private Map<String, Object> gapCheck(Path model, Transformer tf, List<PreferencePair> train, List<ReferenceScorer.Scores> refs,
                                         String backend, TrainListener listener) throws IOException {
        int n = Math.min(GAP_PAIRS, train.size());
        List<PreferencePair> first = train.subList(0, n);
        List<float[][]> policy = logProbs(tf, first);
        StepZeroGap policyGap = StepZeroGap.of(policy, refs);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", 0);
        m.put("policy_ref_gap/mean", policyGap.mean());
        m.put("policy_ref_gap/max", policyGap.max());
        listener.message(String.format(Locale.ROOT, "step 0: Java policy (%s arithmetic) vs reference (%s) over %d tokens of %d pairs: "
                + "mean |Δ log-prob| %.2e, max %.2e", tf.arithmetic(), backend + (initAdapter == null ? "" : ", base + " + initAdapter.getFileName()),
                policyGap.tokens(), n, policyGap.mean(), policyGap.max()));
        StepZeroGap check;
        String against;
        if (!tf.roundsActivations()) {
            // All projections F32: both arithmetics are the float one, checked against llama.cpp on the file.
            against = "llama.cpp on the CPU on this file";
            check = backend.equals(CPU) ? policyGap : StepZeroGap.of(policy, cpuScores(model, first, listener));
        } else {
            Arithmetic trained = tf.arithmetic();
            List<float[][]> floats;
            try {
                floats = trained == Arithmetic.FLOAT ? policy : logProbs(tf.arithmetic(Arithmetic.FLOAT), first);
            } finally {
                tf.arithmetic(trained);
            }
            StepZeroGap floatGap = StepZeroGap.of(floats, refs);
            m.put("float_ref_gap/mean", floatGap.mean());
            m.put("float_ref_gap/max", floatGap.max());
            if (trained != Arithmetic.FLOAT) {
                listener.message(String.format(Locale.ROOT, "step 0: float arithmetic vs reference: mean %.2e, max %.2e"
                        + " (activations unrounded; the %s arithmetic rounds them as llama.cpp's CPU backend does)",
                        floatGap.mean(), floatGap.max(), trained));
            }
            Path dir = Files.createTempDirectory("jdpo-step0-");
            Path copy = dir.resolve("f32-copy.gguf"), slice = dir.resolve("first-blocks.gguf");
            try {
                long[] sizes = DequantizedCopy.bytesByBlocks(model);
                int layers = sizes.length - 1;
                long need = sizes[layers];
                CopyRoom room = copyLimit >= 0 ? new CopyRoom(need, copyLimit, "the trainer's copy limit") : CopyRoom.at(need, dir);
                int k = room.fits() ? layers : 0;
                // Too large whole: the first blocks that fit (an adapter to start from covers every block, so not then).
                while (k < layers && initAdapter == null && sizes[k + 1] <= room.limit()) k++;
                if (k == 0) {
                    listener.message(room.skipped(initAdapter != null
                            ? "and the policy starts from an adapter, which a copy of the first blocks would not hold"
                            : "and so does a copy of its first block alone"));
                    m.put("java_check/skipped_copy_mib", need >> 20);
                    return m;
                }
                if (k == layers) {
                    DequantizedCopy.write(model, copy);
                    check = StepZeroGap.of(floats, cpuScores(copy, first, listener));
                    against = "llama.cpp on the CPU on an F32 copy of its weights";
                } else {
                    // The Java forward on the first k blocks as stored, llama.cpp on them in F32.
                    DequantizedCopy.firstLayers(model, slice, k, false);
                    DequantizedCopy.firstLayers(model, copy, k, true);
                    List<float[][]> sliced;
                    try (Transformer part = Transformer.load(slice, cfg.threads()).arithmetic(Arithmetic.FLOAT)) {
                        sliced = logProbs(part, first);
                    }
                    check = StepZeroGap.of(sliced, cpuScores(copy, first, listener));
                    against = "llama.cpp on the CPU on an F32 copy of its first " + k + " of " + layers + " blocks ("
                            + CopyRoom.size(need) + " whole, more than " + CopyRoom.size(room.limit()) + ": " + room.from() + ")";
                    m.put("java_check/blocks", k);
                }
            } finally {
                Files.deleteIfExists(copy);
                Files.deleteIfExists(slice);
                Files.deleteIfExists(dir);
            }
        }
        m.put("java_check/mean", check.mean());
        m.put("java_check/max", check.max());
        listener.message(String.format(Locale.ROOT, "step 0: Java forward (float arithmetic) vs %s: mean %.2e, max %.2e (bounds %.1e / %.1e)",
                against, check.mean(), check.max(), maxMeanGap, maxTokenGap));
        check.check(maxMeanGap, maxTokenGap, cfg.force(), against);
        return m;
    }

    private static final String CPU = "llama.cpp on the CPU";

    /** Per-token log-probs of chosen and rejected of each pair under the Java forward as it is set. */
    private static List<float[][]> logProbs(Transformer tf, List<PreferencePair> pairs) {
        List<float[][]> out = new ArrayList<>();
        for (PreferencePair p : pairs) {
            float[] lp = tf.logProbsPair(p.prompt(), p.chosen(), p.rejected());
            out.add(new float[][]{Arrays.copyOf(lp, p.chosen().length), Arrays.copyOfRange(lp, p.chosen().length, lp.length)});
        }
        return out;
    }

    /** llama.cpp's log-probs of the pairs on the CPU, uncached (a check, not a reference). */
    private List<ReferenceScorer.Scores> cpuScores(Path model, List<PreferencePair> pairs, TrainListener listener) throws IOException {
        return new ReferenceScorer(model, cfg.threads(), 0, null).adapter(initAdapter).score(pairs, new TrainListener() { });
    }

    /**
     * Opens a training session on {@code model} for a caller that makes its own pairs as it
     * goes (online DPO, the reward–KL frontier): the Java policy with a fresh adapter
     * (initialised from the config's seed) and its AdamW state stay in memory between calls,
     * and every call to {@link Session#train} runs optimizer steps exactly as {@link #train}
     * does, on pairs and reference log-probs the caller hands in.
     *
     * @param model the GGUF file the policy reads (frozen, memory-mapped)
     * @return a session the caller closes (it owns off-heap adapter, gradient and optimizer memory)
     * @throws IOException when the model cannot be read
     */
    public Session session(Path model) throws IOException {
        return new Session(model, null);
    }

    /**
     * As {@link #session(Path)}, the policy starting from an adapter file (an SFT adapter: the
     * SFT → DPO chain, whose reference is base + that adapter) instead of a fresh adapter. The
     * config must have the adapter's shape ({@link InitAdapter#fit}).
     *
     * @param model the GGUF file the policy reads
     * @param initAdapter the adapter the policy starts from, or null for a fresh one
     * @return a session the caller closes
     * @throws IOException when the model or the adapter cannot be read
     * @throws IllegalArgumentException when the adapter's shape is not the config's
     */
    public Session session(Path model, Path initAdapter) throws IOException {
        return new Session(model, initAdapter);
    }

    /**
     * Optimizer steps on pairs supplied a batch at a time. The learning-rate schedule runs
     * over {@code cfg.maxSteps()} steps in all (warm-up and decay span every call together),
     * and the data order is a function of the seed, the number of pairs and the session's
     * step, so a session fed the same pairs gives the adapter {@link DpoTrainer#train} gives,
     * bit for bit, however its steps are split into calls.
     */
    public final class Session implements AutoCloseable {
        private final Transformer tf;
        private final LoraWeights lora, grads;
        private final AdamW opt;
        private final LrSchedule schedule;
        private final String arch;
        private int step;

        private Session(Path model, Path initAdapter) throws IOException {
            if (cfg.maxSteps() < 1) throw new IllegalArgumentException("a session needs max steps >= 1 (the schedule's length)");
            Transformer t = Transformer.load(model, cfg.threads()).arithmetic(cfg.arithmetic());
            LoraWeights l = null, g = null;
            try {
                l = LoraWeights.init(t.config(), cfg.loraConfig(), cfg.seed());
                g = l.zerosLike();
                if (initAdapter != null) InitAdapter.apply(initAdapter, l);
                opt = new AdamW(l, 0.9, 0.999, 1e-8, cfg.weightDecay());
            } catch (RuntimeException | IOException e) {
                if (g != null) g.close();
                if (l != null) l.close();
                t.close();
                throw e;
            }
            tf = t;
            lora = l;
            grads = g;
            tf.setAdapter(lora);
            arch = tf.config().arch().ggufName();
            schedule = cfg.lrSchedule(cfg.maxSteps());
        }

        /**
         * Optimizer steps since the session opened.
         *
         * @return the number of steps taken so far (0 before the first call to {@link #train})
         */
        public int step() {
            return step;
        }

        /**
         * Runs {@code steps} optimizer steps of {@code cfg.pairsPerStep()} pairs each, drawn
         * from {@code pairs} in a seeded order (epochs repeat as needed).
         *
         * @param pairs the pairs to train on (tokenized; no pair may exceed the config's length limits)
         * @param refs the reference's per-token log-probs of each pair, in the same order
         *             (zeros for reference-free losses)
         * @param steps how many optimizer steps to run (the session's step may not pass {@code cfg.maxSteps()})
         * @return one metric row per step, as {@link #train} reports them
         * @throws IllegalArgumentException when the lists differ in length, a pair would be
         *         truncated (its reference would no longer match it), or the steps overrun the schedule
         */
        public List<DpoMetrics> train(List<PreferencePair> pairs, List<ReferenceScorer.Scores> refs, int steps) {
            if (pairs.size() != refs.size() || pairs.isEmpty()) {
                throw new IllegalArgumentException(pairs.size() + " pairs but " + refs.size() + " reference scores (need the same, at least one)");
            }
            if (step + steps > cfg.maxSteps()) {
                throw new IllegalArgumentException("steps " + step + " + " + steps + " run past the schedule's " + cfg.maxSteps());
            }
            Truncation limits = cfg.truncation();
            for (int i = 0; i < pairs.size(); i++) {
                PreferencePair p = pairs.get(i);
                if (limits.apply(p) != p) {
                    throw new IllegalArgumentException("pair " + i + " (" + p.longestSequence() + " tokens) exceeds max_length "
                            + cfg.maxLength() + " / max_prompt_length " + cfg.maxPromptLength());
                }
                if (refs.get(i).chosen().length != p.chosen().length || refs.get(i).rejected().length != p.rejected().length) {
                    throw new IllegalArgumentException("pair " + i + ": reference scores cover " + refs.get(i).chosen().length + "/"
                            + refs.get(i).rejected().length + " tokens, the completions have " + p.chosen().length + "/" + p.rejected().length);
                }
            }
            Split set = new Split(pairs, refs, null);
            TrainingLoop.Objective<DpoMetrics> objective = new PairObjective(set, null, null);
            // Indexed by the session's step, as train() indexes its order: the same pairs in two calls visit what one call would.
            DataOrder order = new DataOrder(pairs.size(), cfg.seed());
            List<DpoMetrics> rows = new ArrayList<>(steps);
            for (int k = 0; k < steps; k++, step++) {
                rows.add(TrainingLoop.optimizerStep(cfg, objective, tf, lora, grads, opt, order, step, schedule.at(step)).metrics());
            }
            return rows;
        }

        /**
         * The current policy's per-token log-probs of a completion (the Java forward with the
         * adapter as it stands): what llama.cpp must give with the exported adapter attached.
         *
         * @param prompt the prompt's tokens (at least one)
         * @param completion the completion's tokens
         * @return log p(completion[t] | prompt, completion[0..t)) for each t, in nats
         */
        public float[] logProbs(int[] prompt, int[] completion) {
            int[] seq = java.util.Arrays.copyOf(prompt, prompt.length + completion.length);
            System.arraycopy(completion, 0, seq, prompt.length, completion.length);
            return tf.logProbs(seq, prompt.length);
        }

        /**
         * Writes the adapter as it stands as a llama.cpp LoRA GGUF (F32, atomically).
         *
         * @param out the file to write (replaced when whole)
         * @return {@code out}
         * @throws IOException when the file cannot be written
         */
        public Path writeAdapter(Path out) throws IOException {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("jdpo.loss", loss.describe());
            meta.put("jdpo.beta", Double.toString(loss.beta()));
            meta.put("jdpo.steps", Integer.toString(step));
            AdapterExporter.write(out, arch, lora.config().exportedAlpha(), lora.byTensorName(), meta);
            return out;
        }

        /** Frees the policy's adapter, gradient, optimizer and model mapping. */
        @Override
        public void close() {
            try (tf; lora; grads; opt) {
                tf.setAdapter(null);
            }
        }
    }

    private static double sum(float[] a, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += a[i];
        return s;
    }
}
