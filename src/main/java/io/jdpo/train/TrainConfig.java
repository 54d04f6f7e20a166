package io.jdpo.train;

import io.jdpo.data.Truncation;

import io.jdpo.model.LoraConfig;
import io.jdpo.model.LoraTarget;
import io.jdpo.tensor.Arithmetic;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Everything that decides a training run's result: adapter shape, loss, optimizer and
 * schedule, batch sizes, length limits, seed and threads. A run with the same config, data
 * and model gives the same adapter bit for bit; resuming checks the config is unchanged.
 * Defaults follow TRL's DPOConfig where it has one (β 0.1, sigmoid loss, keep-end
 * truncation, max length 1024, max prompt 512, f-divergence α 0.5, DiscoPOP τ 0.05; CPO's
 * α 1, KTO's weights 1, unlikelihood α 1) and common LoRA practice otherwise. {@code ldAlpha} 1 means no LD-DPO
 * down-weighting (TRL's None).
 */
public record TrainConfig(int rank, double alpha, boolean rsLora, Set<LoraTarget> targets, double loraDropout,
                          List<DpoLoss.Term> loss, double beta, double labelSmoothing, double simpoGamma, double rpoAlpha,
                          FDivergence fDivergence, double fAlpha, double discopopTau, double cpoAlpha,
                          double desirableWeight, double undesirableWeight, double ulAlpha, double ldAlpha, boolean useWeighting,
                          double learningRate, LrSchedule.Kind schedule, double warmupRatio, double weightDecay,
                          double maxGradNorm, int epochs, int maxSteps, int batchSize, int gradientAccumulation,
                          int maxLength, int maxPromptLength, Truncation.Mode truncationMode,
                          int evalEvery, int checkpointEvery, long seed, int threads, boolean recompute,
                          boolean force, int gpuLayers, Arithmetic arithmetic) {

    public TrainConfig {
        java.util.Objects.requireNonNull(arithmetic, "arithmetic");
        if (targets.isEmpty()) throw new IllegalArgumentException("no LoRA target");
        // An EnumSet view iterates in declaration order, so toString (the resume fingerprint) is stable.
        targets = Collections.unmodifiableSet(EnumSet.copyOf(targets));
        if (epochs < 1 && maxSteps < 1) throw new IllegalArgumentException("need epochs >= 1 or max steps >= 1");
        if (batchSize < 1 || gradientAccumulation < 1) throw new IllegalArgumentException("batch size and accumulation must be >= 1");
        if (warmupRatio < 0 || warmupRatio >= 1) throw new IllegalArgumentException("warm-up ratio must lie in [0, 1), got " + warmupRatio);
        if (maxGradNorm < 0) throw new IllegalArgumentException("max grad norm must be >= 0 (0 disables clipping)");
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
        lora(rank, alpha, rsLora, targets, loraDropout);
        loss = List.copyOf(loss);
        DpoLoss l = new DpoLoss(loss, beta, labelSmoothing, simpoGamma, rpoAlpha, fDivergence, fAlpha, discopopTau, cpoAlpha,
                desirableWeight, undesirableWeight, ulAlpha);
        if (ldAlpha < 0 || ldAlpha > 1) throw new IllegalArgumentException("ld alpha must lie in [0, 1] (1 = no down-weighting), got " + ldAlpha);
        if (l.kto() && (ldAlpha != 1 || useWeighting)) {
            throw new IllegalArgumentException("kto is unpaired: LD-DPO's shared length and WPO's pair weight do not apply");
        }
        if (useWeighting && loss.stream().anyMatch(t -> t.type() == LossType.AOT || t.type() == LossType.AOT_UNPAIRED)) {
            throw new IllegalArgumentException("WPO weighting does not apply to aot / aot_unpaired (their slots are not pairs), as in TRL");
        }
        new Truncation(maxLength, maxPromptLength, truncationMode);
    }

    public static TrainConfig defaults() {
        return new TrainConfig(16, 32, false, LoraTarget.all(), 0, List.of(new DpoLoss.Term(LossType.SIGMOID, 1)), 0.1, 0, 0.5, 0,
                FDivergence.REVERSE_KL, 0.5, 0.05, 1, 1, 1, 1, 1, false,
                5e-5, LrSchedule.Kind.COSINE, 0.1, 0, 1.0, 1, 0, 4, 1, 1024, 512, Truncation.Mode.KEEP_END,
                0, 0, 42, Runtime.getRuntime().availableProcessors(), false, false, -1, Arithmetic.DEPLOYED);
    }

    public LoraConfig loraConfig() {
        return lora(rank, alpha, rsLora, targets, loraDropout);
    }

    public DpoLoss dpoLoss() {
        return new DpoLoss(loss, beta, labelSmoothing, simpoGamma, rpoAlpha, fDivergence, fAlpha, discopopTau, cpoAlpha,
                desirableWeight, undesirableWeight, ulAlpha);
    }

    public Truncation truncation() {
        return new Truncation(maxLength, maxPromptLength, truncationMode);
    }

    /**
     * What a resumed run must share with the run that wrote the checkpoint: every field that
     * changes the adapter. How often to evaluate or checkpoint, and whether the step-0 gap
     * was forced, change nothing that is trained, so they may differ between the two runs.
     */
    public String resumeFingerprint() {
        return Fingerprint.text(toBuilder().evalEvery(0).checkpointEvery(0).force(false).build().toString());
    }

    /** Pairs per optimizer step. */
    public int pairsPerStep() {
        return batchSize * gradientAccumulation;
    }

    /** Optimizer steps for a training set of n pairs. */
    public int totalSteps(int n) {
        return maxSteps > 0 ? maxSteps : Math.max(1, (int) Math.ceil((double) epochs * n / pairsPerStep()));
    }

    public LrSchedule lrSchedule(int n) {
        int total = totalSteps(n);
        return new LrSchedule(schedule, learningRate, (int) Math.round(warmupRatio * total), total);
    }

    private static LoraConfig lora(int rank, double alpha, boolean rs, Set<LoraTarget> targets, double dropout) {
        return new LoraConfig(rank, (float) alpha, rs, targets, (float) dropout);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Mutable copy for setting a few fields: {@code TrainConfig.defaults().toBuilder().beta(0.2).build()}. */
    public static final class Builder {
        private int rank, epochs, maxSteps, batchSize, gradientAccumulation, maxLength, maxPromptLength, evalEvery,
                checkpointEvery, threads, gpuLayers;
        private double alpha, loraDropout, beta, labelSmoothing, simpoGamma, rpoAlpha, learningRate, warmupRatio, weightDecay, maxGradNorm;
        private double fAlpha, discopopTau, cpoAlpha, desirableWeight, undesirableWeight, ulAlpha, ldAlpha;
        private boolean rsLora, recompute, force, useWeighting;
        private Set<LoraTarget> targets;
        private List<DpoLoss.Term> loss;
        private FDivergence fDivergence;
        private LrSchedule.Kind schedule;
        private Truncation.Mode truncationMode;
        private long seed;
        private Arithmetic arithmetic;

        private Builder(TrainConfig c) {
            rank = c.rank; alpha = c.alpha; rsLora = c.rsLora; targets = c.targets; loraDropout = c.loraDropout;
            loss = c.loss; beta = c.beta; labelSmoothing = c.labelSmoothing; simpoGamma = c.simpoGamma; rpoAlpha = c.rpoAlpha;
            fDivergence = c.fDivergence; fAlpha = c.fAlpha; discopopTau = c.discopopTau; cpoAlpha = c.cpoAlpha;
            desirableWeight = c.desirableWeight; undesirableWeight = c.undesirableWeight; ulAlpha = c.ulAlpha; ldAlpha = c.ldAlpha; useWeighting = c.useWeighting;
            learningRate = c.learningRate; schedule = c.schedule; warmupRatio = c.warmupRatio; weightDecay = c.weightDecay;
            maxGradNorm = c.maxGradNorm; epochs = c.epochs; maxSteps = c.maxSteps; batchSize = c.batchSize;
            gradientAccumulation = c.gradientAccumulation; maxLength = c.maxLength; maxPromptLength = c.maxPromptLength;
            truncationMode = c.truncationMode; evalEvery = c.evalEvery; checkpointEvery = c.checkpointEvery; seed = c.seed;
            threads = c.threads; recompute = c.recompute; force = c.force; gpuLayers = c.gpuLayers; arithmetic = c.arithmetic;
        }

        public Builder rank(int v) { rank = v; return this; }
        public Builder alpha(double v) { alpha = v; return this; }
        public Builder rsLora(boolean v) { rsLora = v; return this; }
        public Builder targets(Set<LoraTarget> v) { targets = v; return this; }
        public Builder loraDropout(double v) { loraDropout = v; return this; }
        public Builder loss(LossType v) { loss = List.of(new DpoLoss.Term(v, 1)); return this; }
        /** Several losses with their weights (TRL's loss_type list and loss_weights). */
        public Builder losses(List<DpoLoss.Term> v) { loss = v; return this; }
        public Builder fDivergence(FDivergence v) { fDivergence = v; return this; }
        public Builder fAlpha(double v) { fAlpha = v; return this; }
        public Builder discopopTau(double v) { discopopTau = v; return this; }
        public Builder cpoAlpha(double v) { cpoAlpha = v; return this; }
        public Builder desirableWeight(double v) { desirableWeight = v; return this; }
        public Builder undesirableWeight(double v) { undesirableWeight = v; return this; }
        /** Weight α of the unlikelihood loss's rejected-token term (default 1). */
        public Builder ulAlpha(double v) { ulAlpha = v; return this; }
        public Builder ldAlpha(double v) { ldAlpha = v; return this; }
        public Builder useWeighting(boolean v) { useWeighting = v; return this; }
        public Builder beta(double v) { beta = v; return this; }
        public Builder labelSmoothing(double v) { labelSmoothing = v; return this; }
        public Builder simpoGamma(double v) { simpoGamma = v; return this; }
        public Builder rpoAlpha(double v) { rpoAlpha = v; return this; }
        public Builder learningRate(double v) { learningRate = v; return this; }
        public Builder schedule(LrSchedule.Kind v) { schedule = v; return this; }
        public Builder warmupRatio(double v) { warmupRatio = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder maxGradNorm(double v) { maxGradNorm = v; return this; }
        public Builder epochs(int v) { epochs = v; return this; }
        public Builder maxSteps(int v) { maxSteps = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder gradientAccumulation(int v) { gradientAccumulation = v; return this; }
        public Builder maxLength(int v) { maxLength = v; return this; }
        public Builder maxPromptLength(int v) { maxPromptLength = v; return this; }
        public Builder truncationMode(Truncation.Mode v) { truncationMode = v; return this; }
        public Builder evalEvery(int v) { evalEvery = v; return this; }
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder threads(int v) { threads = v; return this; }
        public Builder recompute(boolean v) { recompute = v; return this; }
        public Builder force(boolean v) { force = v; return this; }
        public Builder gpuLayers(int v) { gpuLayers = v; return this; }
        /** How the policy's forward rounds activations: llama.cpp's deployed arithmetic (default) or floats. */
        public Builder arithmetic(Arithmetic v) { arithmetic = v; return this; }

        public TrainConfig build() {
            return new TrainConfig(rank, alpha, rsLora, targets, loraDropout, loss, beta, labelSmoothing, simpoGamma, rpoAlpha,
                    fDivergence, fAlpha, discopopTau, cpoAlpha, desirableWeight, undesirableWeight, ulAlpha, ldAlpha, useWeighting,
                    learningRate, schedule, warmupRatio, weightDecay, maxGradNorm, epochs, maxSteps, batchSize,
                    gradientAccumulation, maxLength, maxPromptLength, truncationMode, evalEvery, checkpointEvery, seed,
                    threads, recompute, force, gpuLayers, arithmetic);
        }
    }

    /** Every field by name, in declaration order, for reports. */
    public java.util.Map<String, String> table() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        for (java.lang.reflect.RecordComponent c : TrainConfig.class.getRecordComponents()) {
            try {
                m.put(c.getName(), String.valueOf(c.getAccessor().invoke(this)));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("record accessor " + c.getName(), e);
            }
        }
        return m;
    }
}
