package io.jdpo.train;

import io.jdpo.JdpoException;
import io.jdpo.adapter.AdapterExporter;
import io.jdpo.data.DataOrder;
import io.jdpo.model.LoraWeights;
import io.jdpo.model.Transformer;
import io.jdpo.progress.StepMetrics;
import io.jdpo.progress.TrainListener;
import io.jdpo.tensor.SegmentMath;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The optimizer loop every LoRA trainer shares (DPO and its family in {@link DpoTrainer}, SFT in
 * {@link SftTrainer}): the policy with its adapter (fresh, or started from an adapter file),
 * AdamW, resuming from a checkpoint, the learning-rate schedule, gradient-norm clipping,
 * metrics.jsonl, evaluation at the start, every N steps and at the end, checkpoints, and the
 * final adapter. What is trained (the loss, its examples, its metric names) is the
 * {@link Objective}'s.
 */
final class TrainingLoop {
    /** What a trainer plugs into the loop; M is its metrics record. */
    interface Objective<M extends StepMetrics> {
        /** Training examples: the number of steps and the epoch column follow from it. */
        int trainSize();

        /**
         * Adds the gradient of step {@code step}'s loss into {@code grads} (cleared before the
         * call) and returns what the step's metrics row is made from.
         */
        StepOutcome<M> step(Transformer tf, LoraWeights grads, int step, DataOrder order);

        /** Whether there is a held-out set to evaluate. */
        boolean hasEval();

        /** The held-out metrics of the current adapter at {@code step}. */
        M evaluate(Transformer tf, int step, TrainListener listener);

        /**
         * Runs before anything is written on a run that starts at step 0 (a refused run leaves
         * nothing behind): checks such as DPO's step-0 gap; its fields open metrics.jsonl.
         */
        default Map<String, Object> beforeFirstStep(Transformer tf) throws IOException {
            return Map.of();
        }

        /** Told the step the loop starts at (0, or the checkpoint's step when resuming) before the first step. */
        default void startAt(int step) {
        }
    }

    /** One optimizer step as the objective saw it. */
    interface StepOutcome<M extends StepMetrics> {
        /** Tokens through the model in this step (for progress and throughput). */
        long tokens();

        /** The step's metrics. */
        M metrics(int step, double epoch, double learningRate, double gradNorm, double tokensPerSecond);
    }

    /**
     * What a finished run made.
     *
     * @param adapter         the trained adapter
     * @param metrics         metrics.jsonl
     * @param steps           optimizer steps of the whole run
     * @param lastTrain       the last step's metrics (null when none was left to run)
     * @param firstEval       the evaluation before training (null without held-out data, or on resume)
     * @param lastEval        the evaluation after the last step (null without held-out data)
     * @param tokensPerSecond tokens through the forward and backward per second of training
     */
    record Outcome<M>(Path adapter, Path metrics, int steps, M lastTrain, M firstEval, M lastEval, double tokensPerSecond) {
    }

    private final TrainConfig cfg;

    /**
     * Fails at once when the JVM runs without {@code jdk.incubator.vector} (the SIMD kernels'
     * module): training would otherwise fail with NoClassDefFoundError only after minutes of
     * reference scoring.
     */
    static void requireVectorModule() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            throw new JdpoException("jdk.incubator.vector is not in this JVM: start it with " + DpoTrainer.VECTOR_FLAG
                    + " (and --enable-native-access=ALL-UNNAMED for llama.cpp)");
        }
    }

    TrainingLoop(TrainConfig cfg) {
        this.cfg = cfg;
    }

    /**
     * Trains and writes adapter.gguf, metrics.jsonl and checkpoints under outDir.
     *
     * @param id            the run's identity (checked on resume)
     * @param initAdapter   an adapter file the policy starts from (null = a fresh adapter)
     * @param firstFields   fields for metrics.jsonl's first record (the data summary), after the objective's own
     * @param provenance    the adapter's metadata besides base, data and steps (loss, β, ...)
     */
    <M extends StepMetrics> Outcome<M> run(Path model, Objective<M> obj, Checkpoint.Identity id, Path initAdapter, Path outDir,
                                           Path resumeFrom, Map<String, Object> firstFields, Map<String, String> provenance,
                                           TrainListener listener) throws IOException {
        Files.createDirectories(outDir);
        RunFolder.clearLeftovers(outDir);
        try (Transformer tf = Transformer.load(model, cfg.threads()).arithmetic(cfg.arithmetic());
             LoraWeights lora = LoraWeights.init(tf.config(), cfg.loraConfig(), cfg.seed());
             LoraWeights grads = lora.zerosLike();
             AdamW opt = new AdamW(lora, 0.9, 0.999, 1e-8, cfg.weightDecay())) {
            if (initAdapter != null) {
                InitAdapter.apply(initAdapter, lora);
                listener.message("policy starts from adapter " + initAdapter);
            }
            tf.setAdapter(lora);
            String arch = tf.config().arch().ggufName();
            int start = 0;
            if (resumeFrom != null) {
                start = Checkpoint.load(resumeFrom, lora, opt, id);
                listener.message("resumed from " + resumeFrom + " at step " + start);
            }
            obj.startAt(start);
            Path metricsFile = outDir.resolve("metrics.jsonl");
            M firstEval = null, lastEval = null, lastTrain = null;
            long tokens = 0;
            Map<String, Object> checked = start == 0 ? obj.beforeFirstStep(tf) : Map.of();
            try (MetricsLog log = new MetricsLog(metricsFile, start)) {
                if (start == 0) {
                    Map<String, Object> first = new LinkedHashMap<>(checked);
                    first.putAll(firstFields);
                    // The run's opening row (step-0 checks, data summary) goes to the file only: it is no step's metrics.
                    if (!first.isEmpty()) log.write(first);
                    if (obj.hasEval()) emit(log, listener, firstEval = obj.evaluate(tf, 0, listener));
                }
                int n = obj.trainSize(), total = cfg.totalSteps(n);
                LrSchedule schedule = cfg.lrSchedule(n);
                DataOrder order = new DataOrder(n, cfg.seed());
                long trainStart = System.nanoTime();
                for (int step = start; step < total; step++) {
                    Stepped<M> st = optimizerStep(cfg, obj, tf, lora, grads, opt, order, step, schedule.at(step));
                    tokens += st.tokens();
                    lastTrain = st.metrics();
                    emit(log, listener, lastTrain);
                    listener.progress("train", step + 1 - start, total - start, tokens);
                    boolean last = step + 1 == total;
                    if (obj.hasEval() && (last || cfg.evalEvery() > 0 && (step + 1) % cfg.evalEvery() == 0)) {
                        emit(log, listener, lastEval = obj.evaluate(tf, step + 1, listener));
                    }
                    if (cfg.checkpointEvery() > 0 && (step + 1) % cfg.checkpointEvery() == 0) {
                        Path dir = Checkpoint.save(Checkpoint.folder(outDir, step + 1),
                                step + 1, lora, opt, id, arch, provenance(id, provenance, step + 1));
                        listener.message("checkpoint " + dir);
                    }
                }
                Path adapter = outDir.resolve("adapter.gguf");
                AdapterExporter.write(adapter, arch, lora.config().exportedAlpha(), lora.byTensorName(), provenance(id, provenance, total));
                double trainSecs = (System.nanoTime() - trainStart) / 1e9;
                return new Outcome<>(adapter, metricsFile, total, lastTrain, firstEval, lastEval, tokens / Math.max(1e-9, trainSecs));
            }
        }
    }

    /** One optimizer step's metrics and the tokens it put through the model. */
    record Stepped<M extends StepMetrics>(M metrics, long tokens) {
    }

    /**
     * One optimizer step (0-based {@code step}): the objective fills the cleared gradient,
     * which is clipped to the config's max norm before AdamW applies it at {@code lr}. The
     * loop's steps and {@link DpoTrainer.Session}'s are this same code.
     */
    static <M extends StepMetrics> Stepped<M> optimizerStep(TrainConfig cfg, Objective<M> obj, Transformer tf, LoraWeights lora,
                                                             LoraWeights grads, AdamW opt, DataOrder order, int step, double lr) {
        long stepStart = System.nanoTime();
        grads.clear();
        StepOutcome<M> s = obj.step(tf, grads, step, order);
        double gradNorm = norm(grads.slab());
        if (cfg.maxGradNorm() > 0 && gradNorm > cfg.maxGradNorm()) scale(grads.slab(), cfg.maxGradNorm() / gradNorm);
        opt.step(lora, grads, lr);
        return new Stepped<>(s.metrics(step + 1, (double) (step + 1) * cfg.pairsPerStep() / obj.trainSize(), lr, gradNorm,
                s.tokens() / ((System.nanoTime() - stepStart) / 1e9)), s.tokens());
    }

    private static void emit(MetricsLog log, TrainListener listener, StepMetrics row) throws IOException {
        log.write(row.row());
        listener.metrics(row);
    }

    private static Map<String, String> provenance(Checkpoint.Identity id, Map<String, String> extra, int steps) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("jdpo.base.sha256", id.model());
        m.put("jdpo.data.sha256", id.data());
        m.putAll(extra);
        m.put("jdpo.steps", Integer.toString(steps));
        return m;
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
}
