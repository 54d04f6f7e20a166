package io.jdpo.train;

import io.jdpo.progress.ConsoleProgress;
import io.jdpo.progress.TrainListener;

import io.jdpo.data.DataOrder;
import io.jdpo.data.PreferencePair;
import io.jdpo.data.Truncation;

import io.jdpo.adapter.AdapterExporter;
import io.jdpo.model.ForwardPass;
import io.jdpo.model.LoraWeights;
import io.jdpo.model.Transformer;
import io.jdpo.tensor.SegmentMath;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * DPO (and its variants) with a LoRA adapter on the frozen, still-quantized GGUF weights:
 * llama.cpp scores the reference once (cached), the Java transformer computes the policy
 * and its gradient, AdamW updates the adapter. Usable without the CLI:
 * <pre>{@code
 * TrainConfig cfg = TrainConfig.defaults().toBuilder().beta(0.1).maxSteps(100).build();
 * TrainResult r = new DpoTrainer(cfg).train(model, trainPairs, evalPairs, outDir, null, new ConsoleProgress(System.out, false));
 * }</pre>
 */
public final class DpoTrainer {
    /**
     * Step-0 bounds on |Java policy − llama.cpp reference| per token, the forward's parity
     * bounds: beyond them the implicit rewards would start from an engine gap, not zero.
     */
    public static final double MAX_MEAN_GAP = 0.02, MAX_TOKEN_GAP = 0.15;
    private static final int GAP_PAIRS = 16;

    private final TrainConfig cfg;
    private final DpoLoss loss;
    private Path cacheDir = ReferenceScorer.defaultCacheDir();
    private double maxMeanGap = MAX_MEAN_GAP, maxTokenGap = MAX_TOKEN_GAP;

    private boolean overwrite;

    public DpoTrainer(TrainConfig cfg) {
        this.cfg = cfg;
        this.loss = cfg.dpoLoss();
    }

    /** Where reference log-probs are cached; null disables the cache. */
    /**
     * Whether a run may replace the results of an earlier run in its output folder (default
     * false: such a folder is refused unless resuming; see {@link RunFolder}).
     */
    public DpoTrainer overwrite(boolean overwrite) {
        this.overwrite = overwrite;
        return this;
    }

    public DpoTrainer cacheDir(Path dir) {
        this.cacheDir = dir;
        return this;
    }

    /** Other step-0 bounds (mean and max |Δ log-prob| per token) than the forward's parity bounds. */
    public DpoTrainer parityBounds(double maxMean, double maxToken) {
        this.maxMeanGap = maxMean;
        this.maxTokenGap = maxToken;
        return this;
    }

    /**
     * Trains on {@code trainSet}, evaluating on {@code evalSet} (may be empty); writes
     * {@code adapter.gguf}, {@code metrics.jsonl} and checkpoints under outDir. With
     * {@code resumeFrom} (a checkpoint directory of the same run) it continues exactly where
     * that run was.
     */
    public TrainResult train(Path model, List<PreferencePair> trainSet, List<PreferencePair> evalSet, Path outDir,
                             Path resumeFrom, TrainListener listener) throws IOException {
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
        String modelHash = Fingerprint.file(model);
        List<PreferencePair> all = new ArrayList<>(train);
        all.addAll(eval);
        // SimPO ignores the reference in its loss, but its rewards and the step-0 check still use it.
        List<ReferenceScorer.Scores> refs = new ReferenceScorer(model, cfg.threads(), cfg.gpuLayers(), cacheDir).score(all, modelHash, listener);
        List<ReferenceScorer.Scores> refTrain = refs.subList(0, train.size()), refEval = refs.subList(train.size(), refs.size());
        Checkpoint.Identity id = new Checkpoint.Identity(Fingerprint.text(cfg.toString()), modelHash, Fingerprint.pairs(train));
        Files.createDirectories(outDir);

        try (Transformer tf = Transformer.load(model, cfg.threads());
             LoraWeights lora = LoraWeights.init(tf.config(), cfg.loraConfig(), cfg.seed());
             LoraWeights grads = lora.zerosLike();
             AdamW opt = new AdamW(lora, 0.9, 0.999, 1e-8, cfg.weightDecay())) {
            tf.setAdapter(lora);
            String arch = tf.config().arch().ggufName();
            int start = 0;
            if (resumeFrom != null) {
                start = Checkpoint.load(resumeFrom, lora, opt, id);
                listener.message("resumed from " + resumeFrom + " at step " + start);
            }
            Path metricsFile = outDir.resolve("metrics.jsonl");
            Map<String, Object> firstEval = null, lastEval = null, lastTrain = null;
            long tokens = 0;
            // The check runs before the metrics file exists: a refused run leaves nothing behind.
            Map<String, Object> gap = start == 0 ? gapCheck(tf, train, refTrain, listener) : null;
            try (MetricsLog log = new MetricsLog(metricsFile, start)) {
                if (start == 0) {
                    emit(log, listener, gap);
                    if (!eval.isEmpty()) emit(log, listener, firstEval = evaluate(tf, eval, refEval, 0, listener));
                }
                int total = cfg.totalSteps(train.size());
                LrSchedule schedule = cfg.lrSchedule(train.size());
                DataOrder order = new DataOrder(train.size(), cfg.seed());
                long trainStart = System.nanoTime();
                for (int step = start; step < total; step++) {
                    long stepStart = System.nanoTime();
                    StepStats s = step(tf, lora, grads, opt, train, refTrain, order, step, schedule.at(step));
                    tokens += s.tokens;
                    lastTrain = s.row(step + 1, (double) (step + 1) * cfg.pairsPerStep() / train.size(), schedule.at(step),
                            s.tokens / ((System.nanoTime() - stepStart) / 1e9));
                    emit(log, listener, lastTrain);
                    listener.progress("train", step + 1 - start, total - start, tokens);
                    boolean last = step + 1 == total;
                    if (!eval.isEmpty() && (last || cfg.evalEvery() > 0 && (step + 1) % cfg.evalEvery() == 0)) {
                        emit(log, listener, lastEval = evaluate(tf, eval, refEval, step + 1, listener));
                    }
                    if (cfg.checkpointEvery() > 0 && (step + 1) % cfg.checkpointEvery() == 0) {
                        Path dir = Checkpoint.save(outDir.resolve("checkpoints").resolve(String.format("step-%06d", step + 1)),
                                step + 1, lora, opt, id, arch, provenance(id, step + 1));
                        listener.message("checkpoint " + dir);
                    }
                }
                Path adapter = outDir.resolve("adapter.gguf");
                AdapterExporter.write(adapter, arch, lora.config().exportedAlpha(), lora.byTensorName(), provenance(id, total));
                double trainSecs = (System.nanoTime() - trainStart) / 1e9;
                return new TrainResult(adapter, metricsFile, total, lastTrain, firstEval, lastEval, truncated,
                        (System.nanoTime() - started) / 1e9, tokens / Math.max(1e-9, trainSecs));
            }
        }
    }

    private static int add(Truncation limits, PreferencePair p, List<PreferencePair> to) {
        PreferencePair q = limits.apply(p);
        to.add(q);
        return q == p ? 0 : 1;
    }

    private static void emit(MetricsLog log, TrainListener listener, Map<String, Object> row) throws IOException {
        log.write(row);
        listener.metrics(row);
    }

    private Map<String, String> provenance(Checkpoint.Identity id, int steps) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("jdpo.base.sha256", id.model());
        m.put("jdpo.data.sha256", id.data());
        m.put("jdpo.loss", loss.type().name().toLowerCase(Locale.ROOT));
        m.put("jdpo.beta", Double.toString(loss.beta()));
        m.put("jdpo.steps", Integer.toString(steps));
        return m;
    }

    /** Sums over the pairs of one optimizer step. */
    private static final class StepStats {
        int n;
        long tokens;
        double loss, rc, rr, acc, lpc, lpr, gradNorm;

        void add(DpoLoss.Result r, double policyChosen, double policyRejected) {
            n++;
            loss += r.loss();
            rc += r.rewardChosen();
            rr += r.rewardRejected();
            acc += r.correct() ? 1 : 0;
            lpc += policyChosen;
            lpr += policyRejected;
        }

        /** The row under TRL's names (means over the step's pairs). */
        Map<String, Object> row(int step, double epoch, double lr, double tokensPerSecond) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("step", step);
            m.put("epoch", epoch);
            m.put("loss", loss / n);
            m.put("rewards/chosen", rc / n);
            m.put("rewards/rejected", rr / n);
            m.put("rewards/accuracies", acc / n);
            m.put("rewards/margins", (rc - rr) / n);
            m.put("logps/chosen", lpc / n);
            m.put("logps/rejected", lpr / n);
            m.put("learning_rate", lr);
            m.put("grad_norm", gradNorm);
            m.put("tokens_per_second", tokensPerSecond);
            return m;
        }
    }

    private StepStats step(Transformer tf, LoraWeights lora, LoraWeights grads, AdamW opt, List<PreferencePair> train,
                           List<ReferenceScorer.Scores> refs, DataOrder order, int step, double lr) {
        grads.clear();
        int n = cfg.pairsPerStep();
        StepStats s = new StepStats();
        for (int i = 0; i < n; i++) {
            int idx = order.at((long) step * n + i);
            PreferencePair p = train.get(idx);
            ReferenceScorer.Scores ref = refs.get(idx);
            // The prompt goes through the model once for both completions.
            // The dropout masks of a pair are a function of (seed, step, slot), so a resumed run draws the same ones.
            long dropoutSeed = cfg.seed() * 0x9E3779B97F4A7C15L + (long) step * n + i;
            ForwardPass pass = tf.forwardPair(p.prompt(), p.chosen(), p.rejected(), cfg.recompute(), dropoutSeed);
            double pc = pass.sum(0), pr = pass.sum(1);
            DpoLoss.Result r = loss.evaluate(new DpoLoss.Pair(pc, pr, ref.chosenSum(), ref.rejectedSum(),
                    p.chosen().length, p.rejected().length));
            // The step's loss is the mean over its pairs: each pair's gradient is weighted 1/n.
            float[] d = new float[pass.length()];
            Arrays.fill(d, 0, p.chosen().length, (float) (r.dPolicyChosen() / n));
            Arrays.fill(d, p.chosen().length, d.length, (float) (r.dPolicyRejected() / n));
            tf.backward(pass, d, grads);
            s.add(r, pc, pr);
            s.tokens += 2L * p.prompt().length + p.chosen().length + p.rejected().length;
        }
        s.gradNorm = norm(grads.slab());
        if (cfg.maxGradNorm() > 0 && s.gradNorm > cfg.maxGradNorm()) scale(grads.slab(), cfg.maxGradNorm() / s.gradNorm);
        opt.step(lora, grads, lr);
        return s;
    }

    private static double norm(MemorySegment g) {
        double s = 0;
        long n = g.byteSize() / Float.BYTES;
        for (long i = 0; i < n; i++) {
            double v = SegmentMath.get(g, i);
            s += v * v;
        }
        return Math.sqrt(s);
    }

    private static void scale(MemorySegment g, double f) {
        long n = g.byteSize() / Float.BYTES;
        for (long i = 0; i < n; i++) SegmentMath.set(g, i, (float) (SegmentMath.get(g, i) * f));
    }

    /** Loss, rewards and accuracy of the current adapter on held-out pairs (forward only), as eval_* metrics. */
    private Map<String, Object> evaluate(Transformer tf, List<PreferencePair> pairs, List<ReferenceScorer.Scores> refs, int step,
                                         TrainListener listener) {
        StepStats s = new StepStats();
        for (int i = 0; i < pairs.size(); i++) {
            PreferencePair p = pairs.get(i);
            float[] lp = tf.logProbsPair(p.prompt(), p.chosen(), p.rejected());
            double pc = sum(lp, 0, p.chosen().length), pr = sum(lp, p.chosen().length, lp.length);
            s.add(loss.evaluate(new DpoLoss.Pair(pc, pr, refs.get(i).chosenSum(), refs.get(i).rejectedSum(),
                    p.chosen().length, p.rejected().length)), pc, pr);
            s.tokens += 2L * p.prompt().length + p.chosen().length + p.rejected().length;
            listener.progress("eval", i + 1, pairs.size(), s.tokens);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        s.row(step, 0, 0, 0).forEach((k, v) -> {
            if (k.equals("loss") || k.startsWith("rewards/") || k.startsWith("logps/")) m.put("eval_" + k, v);
        });
        return m;
    }

    /**
     * The Java policy before any update (B = 0, so the base model) against llama.cpp's
     * reference on the first pairs: per-token mean and max |Δ log-prob|. Refuses to train
     * past the parity bounds unless forced.
     */
    private Map<String, Object> gapCheck(Transformer tf, List<PreferencePair> train, List<ReferenceScorer.Scores> refs,
                                         TrainListener listener) {
        double sum = 0, max = 0;
        int tokens = 0, n = Math.min(GAP_PAIRS, train.size());
        for (int i = 0; i < n; i++) {
            PreferencePair p = train.get(i);
            float[] lp = tf.logProbsPair(p.prompt(), p.chosen(), p.rejected());
            float[][] ours = {Arrays.copyOf(lp, p.chosen().length), Arrays.copyOfRange(lp, p.chosen().length, lp.length)};
            float[][] theirs = {refs.get(i).chosen(), refs.get(i).rejected()};
            for (int k = 0; k < 2; k++) {
                for (int t = 0; t < ours[k].length; t++) {
                    double d = Math.abs(ours[k][t] - theirs[k][t]);
                    sum += d;
                    max = Math.max(max, d);
                    tokens++;
                }
            }
        }
        double mean = sum / tokens;
        listener.message(String.format(Locale.ROOT,
                "step 0: Java policy vs llama.cpp reference over %d tokens of %d pairs: mean |Δ log-prob| %.2e, max %.2e", tokens, n, mean, max));
        if ((mean > maxMeanGap || max > maxTokenGap) && !cfg.force()) {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "the Java forward differs from llama.cpp by mean %.3g / max %.3g nats per token (bounds %.2g / %.2g) on this model;"
                            + " training would start from that gap. `jdpo parity MODEL --dequantized` shows whether it is llama.cpp"
                            + " rounding its activations (then the Java forward matches llama.cpp on an F32 copy of the weights)."
                            + " Use force to train anyway.", mean, max, maxMeanGap, maxTokenGap));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", 0);
        m.put("policy_ref_gap/mean", mean);
        m.put("policy_ref_gap/max", max);
        return m;
    }

    private static double sum(float[] a, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += a[i];
        return s;
    }
}
