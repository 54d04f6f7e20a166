package io.jdpo.train;

import io.jdpo.data.DataOrder;
import io.jdpo.data.SftSample;
import io.jdpo.data.Truncation;
import io.jdpo.model.ForwardPass;
import io.jdpo.model.LoraWeights;
import io.jdpo.model.Transformer;
import io.jdpo.progress.TrainListener;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Supervised fine-tuning of a LoRA adapter on prompt → completion examples: the DPO paper's
 * Preferred-FT baseline (the chosen completions of preference data) and the usual first stage
 * before DPO ({@link DpoTrainer#initAdapter} starts from its adapter). The loss is completion
 * only, as TRL's SFTTrainer computes it with {@code completion_only_loss}: the mean negative
 * log-likelihood over the completion tokens of the step's examples (prompt tokens masked; a
 * long completion weighs by its tokens). It needs no reference model. The loop, checkpoints,
 * resume and metrics.jsonl are the DPO trainer's ({@link TrainingLoop}); metric names are
 * TRL's SFT ones: {@code loss}, {@code mean_token_accuracy} (share of completion tokens that are
 * the policy's top-1), {@code num_tokens} (prompt and completion tokens trained on so far),
 * {@code entropy} (the policy's predictive entropy at the completion tokens, nats per token),
 * {@code learning_rate}, {@code grad_norm}, {@code epoch}, and {@code eval_loss},
 * {@code eval_mean_token_accuracy}, {@code eval_entropy}; besides them {@code logps/completion} (the mean summed
 * log-prob of a completion) and {@code tokens_per_second}. Usable without the CLI:
 * <pre>{@code
 * TrainConfig cfg = TrainConfig.defaults().toBuilder().learningRate(1e-3).maxSteps(50).build();
 * TrainResult r = new SftTrainer(cfg).train(model, trainSamples, evalSamples, outDir, null, new ConsoleProgress(System.out, false));
 * }</pre>
 * Of the config, the loss settings (β, loss types, ...) are not read; everything else is.
 */
public final class SftTrainer {
    private final TrainConfig cfg;
    private Map<String, Object> dataSummary = Map.of();
    private boolean overwrite;

    /**
     * A trainer with these settings.
     *
     * @param cfg adapter shape, optimizer, schedule, batch, limits, seed and threads
     * @throws io.jdpo.JdpoException when the JVM runs without {@code jdk.incubator.vector}
     */
    public SftTrainer(TrainConfig cfg) {
        TrainingLoop.requireVectorModule();
        this.cfg = cfg;
    }

    /**
     * Whether a run may replace the results of an earlier run in its output folder (default
     * false: such a folder is refused unless resuming; see {@link RunFolder}).
     *
     * @param overwrite true to allow it
     * @return this trainer
     */
    public SftTrainer overwrite(boolean overwrite) {
        this.overwrite = overwrite;
        return this;
    }

    /**
     * Fields added to metrics.jsonl's first record (what happened to the data's rows).
     *
     * @param fields the fields, copied
     * @return this trainer
     */
    public SftTrainer dataSummary(Map<String, Object> fields) {
        this.dataSummary = Map.copyOf(fields);
        return this;
    }

    /**
     * Trains on {@code trainSet}, evaluating on {@code evalSet} (may be empty) at the start,
     * every {@code evalEvery} steps and at the end; writes {@code adapter.gguf},
     * {@code metrics.jsonl} and checkpoints under outDir. With {@code resumeFrom} (a checkpoint
     * of the same run) it continues exactly where that run was.
     *
     * @param model      the base GGUF
     * @param trainSet   training samples (truncated here to the config's limits)
     * @param evalSet    held-out samples, possibly empty
     * @param outDir     the run's folder
     * @param resumeFrom a checkpoint folder of this run, or null
     * @param listener   progress, metric rows and messages
     * @return where the adapter and metrics went, and the last metrics
     * @throws IOException when a file cannot be read or written
     */
    public SftResult train(Path model, List<SftSample> trainSet, List<SftSample> evalSet, Path outDir, Path resumeFrom,
                             TrainListener listener) throws IOException {
        RunFolder.checkFree(outDir, resumeFrom != null, overwrite);
        if (trainSet.isEmpty()) throw new IllegalArgumentException("no training samples");
        long started = System.nanoTime();
        Truncation limits = cfg.truncation();
        List<SftSample> train = new ArrayList<>(), eval = new ArrayList<>();
        int truncated = 0;
        for (SftSample s : trainSet) truncated += add(limits, s, train);
        for (SftSample s : evalSet) truncated += add(limits, s, eval);
        if (truncated > 0) {
            listener.message(truncated + " of " + (train.size() + eval.size()) + " samples truncated to max_length "
                    + cfg.maxLength() + " / max_prompt_length " + cfg.maxPromptLength() + " (" + cfg.truncationMode().name().toLowerCase(Locale.ROOT) + ")");
        }
        int longest = train.stream().mapToInt(s -> s.sequence().length).max().orElse(0);
        OffHeapBudget.check(model, cfg.loraConfig(), cfg.recompute(), longest, 1);
        Checkpoint.Identity id = new Checkpoint.Identity(Fingerprint.text("sft " + cfg.resumeFingerprint()), Fingerprint.file(model),
                Fingerprint.samples(train));
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("jdpo.loss", "sft");
        TrainingLoop.Outcome<SftMetrics> o = new TrainingLoop(cfg).run(model, new Objective(train, eval), id, null, outDir,
                resumeFrom, dataSummary, provenance, listener);
        return new SftResult(o.adapter(), o.metrics(), o.steps(), o.lastTrain(), o.firstEval(), o.lastEval(), truncated,
                (System.nanoTime() - started) / 1e9, o.tokensPerSecond());
    }

    private static int add(Truncation limits, SftSample s, List<SftSample> to) {
        SftSample t = limits.apply(s);
        to.add(t);
        return t == s ? 0 : 1;
    }

    /** Sums of one step (or one evaluation) over its samples. */
    private static final class Stats implements TrainingLoop.StepOutcome<SftMetrics> {
        int samples;
        long tokens, completionTokens, correct, numTokens;
        double nll, entropy;

        void add(SftSample s, float[] lp, float[] top, float[] h) {
            samples++;
            tokens += s.prompt().length + s.completion().length;
            completionTokens += lp.length;
            for (int t = 0; t < lp.length; t++) {
                nll -= lp[t];
                entropy += h[t];
                if (lp[t] >= top[t]) correct++;
            }
        }

        @Override
        public long tokens() {
            return tokens;
        }

        @Override
        public SftMetrics metrics(int step, double epoch, double lr, double gradNorm, double tokensPerSecond) {
            return new SftMetrics(false, step, epoch, nll / completionTokens, (double) correct / completionTokens,
                    entropy / completionTokens, numTokens,
                    -nll / samples, lr, gradNorm, tokensPerSecond);
        }
    }

    /** The SFT loss in the shared loop. */
    private final class Objective implements TrainingLoop.Objective<SftMetrics> {
        private final List<SftSample> train, eval;
        /** Prompt and completion tokens of the steps trained so far (TRL's num_tokens). */
        private long numTokens;

        Objective(List<SftSample> train, List<SftSample> eval) {
            this.train = train;
            this.eval = eval;
        }

        @Override
        public int trainSize() {
            return train.size();
        }

        @Override
        public void startAt(int step) {
            // The order is a function of the seed: the tokens of the steps before a checkpoint are known without running them.
            DataOrder order = new DataOrder(train.size(), cfg.seed());
            int n = cfg.pairsPerStep();
            numTokens = 0;
            for (long k = 0; k < (long) step * n; k++) {
                SftSample s = train.get(order.at(k));
                numTokens += s.prompt().length + s.completion().length;
            }
        }

        @Override
        public Stats step(Transformer tf, LoraWeights grads, int step, DataOrder order) {
            int n = cfg.pairsPerStep();
            SftSample[] batch = new SftSample[n];
            long completionTokens = 0;
            for (int i = 0; i < n; i++) {
                batch[i] = train.get(order.at((long) step * n + i));
                completionTokens += batch[i].completion().length;
            }
            // The step's loss is the mean NLL over all its completion tokens: each token's gradient is −1/N.
            float g = (float) (-1.0 / completionTokens);
            Stats s = new Stats();
            for (int i = 0; i < n; i++) {
                SftSample smp = batch[i];
                long dropoutSeed = cfg.seed() * 0x9E3779B97F4A7C15L + (long) step * n + i;
                ForwardPass pass = tf.forward(smp.sequence(), smp.prompt().length, cfg.recompute(), dropoutSeed);
                float[] lp = pass.logProbs();
                s.add(smp, lp, pass.topLogProbs(), pass.entropies());
                float[] d = new float[lp.length];
                Arrays.fill(d, g);
                tf.backward(pass, d, grads);
            }
            numTokens += s.tokens;
            s.numTokens = numTokens;
            return s;
        }

        @Override
        public boolean hasEval() {
            return !eval.isEmpty();
        }

        @Override
        public SftMetrics evaluate(Transformer tf, int step, TrainListener listener) {
            Stats s = new Stats();
            for (int i = 0; i < eval.size(); i++) {
                SftSample smp = eval.get(i);
                float[] top = new float[smp.completion().length], h = new float[top.length];
                float[] lp = tf.logProbs(smp.sequence(), smp.prompt().length, top, h);
                s.add(smp, lp, top, h);
                listener.progress("eval", i + 1, eval.size(), s.tokens);
            }
            return new SftMetrics(true, step, Double.NaN, s.nll / s.completionTokens, (double) s.correct / s.completionTokens,
                    s.entropy / s.completionTokens, 0,
                    -s.nll / s.samples, Double.NaN, Double.NaN, Double.NaN);
        }
    }
}
