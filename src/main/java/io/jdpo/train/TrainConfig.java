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
 * down-weighting (TRL's None). TRL's (or PEFT's) name for each setting is given below.
 *
 * <p>Immutable and thread-safe; change settings through {@link #toBuilder()}. Lengths are in
 * tokens, steps are optimizer steps.
 *
 * @param rank LoRA rank r, ≥ 1 (PEFT's {@code r}; default 16)
 * @param alpha LoRA alpha: B·A is scaled by alpha/r, or alpha/√r with {@code rsLora} (PEFT's
 *        {@code lora_alpha}; default 32)
 * @param rsLora scale by alpha/√r, so updates do not shrink as the rank grows (PEFT's
 *        {@code use_rslora}; default false)
 * @param targets the projections adapted in every block; not empty (PEFT's
 *        {@code target_modules}; default all of them)
 * @param loraDropout dropout on the adapter's input in training forwards, in [0, 1), seeded by
 *        the seed and the step (PEFT's {@code lora_dropout}; default 0)
 * @param loss the losses and their weights ({@link DpoLoss}; TRL's {@code loss_type} and
 *        {@code loss_weights}; default sigmoid alone)
 * @param beta β > 0, the inverse temperature of the implicit reward; ORPO's λ (TRL's
 *        {@code beta}; default 0.1)
 * @param labelSmoothing ε in [0, 0.5) of cdpo, robust, exo_pair, aot, aot_unpaired, simpo and
 *        cpo; sigmoid refuses it (TRL's {@code label_smoothing}; default 0)
 * @param simpoGamma SimPO's target reward margin γ (TRL's {@code simpo_gamma}; default 0.5)
 * @param rpoAlpha weight of the RPO term, the chosen completion's mean NLL, ≥ 0; 0 = none
 *        (TRL's {@code rpo_alpha}, None there; default 0)
 * @param fDivergence the divergence the DPO-family losses regularise with (TRL's
 *        {@code f_divergence_type}; default reverse KL)
 * @param fAlpha α of the alpha divergence (TRL's {@code f_alpha_divergence_coef}; default 0.5)
 * @param discopopTau DiscoPOP's τ > 0 (TRL's {@code discopop_tau}; default 0.05)
 * @param cpoAlpha weight of CPO's SFT term, ≥ 0 (TRL's {@code cpo_alpha}; default 1)
 * @param desirableWeight KTO's weight of desirable examples, ≥ 0 (TRL's
 *        {@code desirable_weight}; default 1)
 * @param undesirableWeight KTO's weight of undesirable examples, ≥ 0 (TRL's
 *        {@code undesirable_weight}; default 1)
 * @param ulAlpha unlikelihood's weight of the rejected tokens' term, finite, ≥ 0 (no TRL
 *        equivalent; default 1)
 * @param ldAlpha LD-DPO: weight in [0, 1] of the longer completion's tokens past the shorter's
 *        length; 1 = off (TRL's {@code ld_alpha}, None there; default 1); not with KTO
 * @param useWeighting WPO: weight each pair by the policy's length-normalised probability of
 *        both completions (TRL's {@code use_weighting}; default false); not with KTO or AOT
 * @param learningRate AdamW's peak learning rate, > 0, checked when the schedule is made (TRL's
 *        {@code learning_rate}; default 5e-5, a LoRA rate: TRL's 1e-6 is for full fine-tuning)
 * @param schedule the learning rate after warm-up: constant, or a linear or cosine decay to 0
 *        at the last step (TRL's {@code lr_scheduler_type}; default cosine)
 * @param warmupRatio share of the steps in [0, 1) over which the rate rises linearly from 0
 *        (TRL's {@code warmup_ratio}; default 0.1)
 * @param weightDecay AdamW's decoupled weight decay (TRL's {@code weight_decay}; default 0)
 * @param maxGradNorm the gradient's L2 norm is clipped to this, ≥ 0; 0 = no clipping (TRL's
 *        {@code max_grad_norm}; default 1.0)
 * @param epochs passes over the training pairs when {@code maxSteps} is 0 (TRL's
 *        {@code num_train_epochs}; default 1)
 * @param maxSteps optimizer steps; above 0 it overrides {@code epochs} (TRL's {@code max_steps},
 *        −1 there for none; default 0); one of the two must be ≥ 1
 * @param batchSize pairs per micro-batch, ≥ 1; batch-coupled losses (AOT, KTO) see this many
 *        at once (TRL's {@code per_device_train_batch_size}; default 4)
 * @param gradientAccumulation micro-batches per optimizer step, ≥ 1 (TRL's
 *        {@code gradient_accumulation_steps}; default 1)
 * @param maxLength tokens of a prompt plus its longer completion before the pair is truncated;
 *        above {@code maxPromptLength} (TRL's {@code max_length}; default 1024)
 * @param maxPromptLength prompt tokens kept when a pair is truncated, ≥ 1 (TRL's
 *        {@code max_prompt_length}; default 512)
 * @param truncationMode which end of a too-long prompt is kept (TRL's {@code truncation_mode};
 *        default keep_end)
 * @param evalEvery held-out evaluation every N steps; 0 = only before the first step and after
 *        the last (TRL's {@code eval_steps}; default 0)
 * @param checkpointEvery a checkpoint (adapter and optimizer state, to resume from) every N
 *        steps; 0 = none (TRL's {@code save_steps}; default 0)
 * @param seed seed of the adapter's initialisation, the data order and dropout (TRL's
 *        {@code seed}; default 42)
 * @param threads CPU threads of the Java forward and backward and of llama.cpp, ≥ 1 (default:
 *        the available processors)
 * @param recompute keep only each layer's input and recompute the rest in the backward: less
 *        memory, more time (TRL's {@code gradient_checkpointing}; default false)
 * @param force train even when the step-0 check finds the Java forward beyond the parity
 *        bounds against llama.cpp (default false)
 * @param gpuLayers layers llama.cpp offloads to the GPU when it scores the reference, as its
 *        {@code -ngl}: negative = all, 0 = CPU only (default −1); the Java policy runs on the CPU
 * @param arithmetic how the policy's forward rounds activations before quantized products
 *        ({@link Arithmetic}; default deployed, as llama.cpp's CPU backend); not null
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

    /**
     * Checks the settings together (the loss's through {@link DpoLoss}, the LoRA shape's and
     * the length limits' through theirs) and copies the collections.
     *
     * @throws IllegalArgumentException naming the first setting out of its range or two
     *         settings that do not combine (WPO with AOT or KTO, LD-DPO with KTO, sigmoid with
     *         label smoothing, ...)
     * @throws NullPointerException if {@code arithmetic} is null
     */
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

    /** {@return the defaults listed on the record's components: DPO (sigmoid, β 0.1) with a rank-16 LoRA on every projection} */
    public static TrainConfig defaults() {
        return new TrainConfig(16, 32, false, LoraTarget.all(), 0, List.of(new DpoLoss.Term(LossType.SIGMOID, 1)), 0.1, 0, 0.5, 0,
                FDivergence.REVERSE_KL, 0.5, 0.05, 1, 1, 1, 1, 1, false,
                5e-5, LrSchedule.Kind.COSINE, 0.1, 0, 1.0, 1, 0, 4, 1, 1024, 512, Truncation.Mode.KEEP_END,
                0, 0, 42, Runtime.getRuntime().availableProcessors(), false, false, -1, Arithmetic.DEPLOYED);
    }

    /** {@return the adapter's shape and scaling: rank, alpha, rsLoRA, targets, dropout} */
    public LoraConfig loraConfig() {
        return lora(rank, alpha, rsLora, targets, loraDropout);
    }

    /** {@return the loss these settings describe (its terms and their parameters)} */
    public DpoLoss dpoLoss() {
        return new DpoLoss(loss, beta, labelSmoothing, simpoGamma, rpoAlpha, fDivergence, fAlpha, discopopTau, cpoAlpha,
                desirableWeight, undesirableWeight, ulAlpha);
    }

    /** {@return the length limits applied to every pair before training} */
    public Truncation truncation() {
        return new Truncation(maxLength, maxPromptLength, truncationMode);
    }

    /**
     * What a resumed run must share with the run that wrote the checkpoint: every field that
     * changes the adapter. How often to evaluate or checkpoint, and whether the step-0 gap
     * was forced, change nothing that is trained, so they may differ between the two runs.
     *
     * @return a SHA-256 (hex) of every other setting
     */
    public String resumeFingerprint() {
        return Fingerprint.text(toBuilder().evalEvery(0).checkpointEvery(0).force(false).build().toString());
    }

    /** {@return pairs per optimizer step: batch size × gradient accumulation} */
    public int pairsPerStep() {
        return batchSize * gradientAccumulation;
    }

    /**
     * {@return the run's optimizer steps: {@code maxSteps} when set, else enough for
     * {@code epochs} passes (rounded up, at least 1)}
     *
     * @param n training pairs
     */
    public int totalSteps(int n) {
        return maxSteps > 0 ? maxSteps : Math.max(1, (int) Math.ceil((double) epochs * n / pairsPerStep()));
    }

    /**
     * {@return the learning rate by step for a training set of n pairs: warm-up over
     * round(warmupRatio × steps), then the schedule's decay}
     *
     * @param n training pairs
     * @throws IllegalArgumentException if the learning rate is not positive
     */
    public LrSchedule lrSchedule(int n) {
        int total = totalSteps(n);
        return new LrSchedule(schedule, learningRate, (int) Math.round(warmupRatio * total), total);
    }

    private static LoraConfig lora(int rank, double alpha, boolean rs, Set<LoraTarget> targets, double dropout) {
        return new LoraConfig(rank, (float) alpha, rs, targets, (float) dropout);
    }

    /** {@return a builder holding these settings} */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Mutable copy for setting a few fields: {@code TrainConfig.defaults().toBuilder().beta(0.2).build()}.
     * Each setter sets the record component of its name (see there for ranges and TRL's names);
     * nothing is checked until {@link #build()}. Not thread-safe.
     */
    public static final class Builder {
        private int rank, epochs, maxSteps, batchSize, gradientAccumulation, maxLength, maxPromptLength, evalEvery,
                checkpointEvery, threads, gpuLayers;
        private double alpha, loraDropout, beta, labelSmoothing, simpoGamma, rpoAlpha, learningRate, warmupRatio, weightDecay, maxGradNorm;
        private double fAlpha, discopopTau, cpoAlpha, desirableWeight, undesirableWeight, ulAlpha, ldAlpha;
        private boolean rsLora, recompute, force, useWeighting;
        /** Whether {@link #maxPromptLength(int)} was called on this builder. */
        private boolean promptLengthGiven;
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

        /**
         * LoRA rank r (default 16).
         *
         * @param v the rank, ≥ 1
         * @return this builder
         */
        public Builder rank(int v) { rank = v; return this; }
        /**
         * LoRA alpha; B·A is scaled by alpha/r (default 32).
         *
         * @param v the alpha
         * @return this builder
         */
        public Builder alpha(double v) { alpha = v; return this; }
        /**
         * Whether B·A is scaled by alpha/√r instead of alpha/r (default false).
         *
         * @param v true for rsLoRA
         * @return this builder
         */
        public Builder rsLora(boolean v) { rsLora = v; return this; }
        /**
         * The projections adapted (default all).
         *
         * @param v the targets; not empty
         * @return this builder
         */
        public Builder targets(Set<LoraTarget> v) { targets = v; return this; }
        /**
         * Dropout on the adapter's input while training (default 0).
         *
         * @param v the dropout rate, in [0, 1)
         * @return this builder
         */
        public Builder loraDropout(double v) { loraDropout = v; return this; }
        /**
         * One loss alone, at weight 1 (default sigmoid).
         *
         * @param v the loss
         * @return this builder
         */
        public Builder loss(LossType v) { loss = List.of(new DpoLoss.Term(v, 1)); return this; }
        /**
         * Several losses with their weights (TRL's loss_type list and loss_weights).
         *
         * @param v the terms; each loss at most once, KTO alone
         * @return this builder
         */
        public Builder losses(List<DpoLoss.Term> v) { loss = v; return this; }
        /**
         * The f-divergence of the DPO-family losses (default reverse KL; TRL's f_divergence_type).
         *
         * @param v the divergence
         * @return this builder
         */
        public Builder fDivergence(FDivergence v) { fDivergence = v; return this; }
        /**
         * α of the alpha divergence (default 0.5; TRL's f_alpha_divergence_coef).
         *
         * @param v the α
         * @return this builder
         */
        public Builder fAlpha(double v) { fAlpha = v; return this; }
        /**
         * DiscoPOP's τ (default 0.05).
         *
         * @param v τ, > 0
         * @return this builder
         */
        public Builder discopopTau(double v) { discopopTau = v; return this; }
        /**
         * Weight of CPO's SFT term (default 1).
         *
         * @param v the weight, ≥ 0
         * @return this builder
         */
        public Builder cpoAlpha(double v) { cpoAlpha = v; return this; }
        /**
         * KTO's weight of desirable examples (default 1).
         *
         * @param v the weight, ≥ 0
         * @return this builder
         */
        public Builder desirableWeight(double v) { desirableWeight = v; return this; }
        /**
         * KTO's weight of undesirable examples (default 1).
         *
         * @param v the weight, ≥ 0
         * @return this builder
         */
        public Builder undesirableWeight(double v) { undesirableWeight = v; return this; }
        /**
         * Weight α of the unlikelihood loss's rejected-token term (default 1).
         *
         * @param v α, finite and ≥ 0
         * @return this builder
         */
        public Builder ulAlpha(double v) { ulAlpha = v; return this; }
        /**
         * LD-DPO's weight of the longer completion's tokens past the shorter's length (default 1 = off).
         *
         * @param v the weight, in [0, 1]
         * @return this builder
         */
        public Builder ldAlpha(double v) { ldAlpha = v; return this; }
        /**
         * WPO weighting of each pair (default false; TRL's use_weighting).
         *
         * @param v true to weight pairs
         * @return this builder
         */
        public Builder useWeighting(boolean v) { useWeighting = v; return this; }
        /**
         * β, the implicit reward's inverse temperature (default 0.1).
         *
         * @param v β, > 0
         * @return this builder
         */
        public Builder beta(double v) { beta = v; return this; }
        /**
         * Label smoothing ε (default 0; refused by sigmoid, use cdpo).
         *
         * @param v ε, in [0, 0.5)
         * @return this builder
         */
        public Builder labelSmoothing(double v) { labelSmoothing = v; return this; }
        /**
         * SimPO's target margin γ (default 0.5).
         *
         * @param v γ
         * @return this builder
         */
        public Builder simpoGamma(double v) { simpoGamma = v; return this; }
        /**
         * Weight of the RPO term on the chosen completion (default 0 = none).
         *
         * @param v the weight, ≥ 0
         * @return this builder
         */
        public Builder rpoAlpha(double v) { rpoAlpha = v; return this; }
        /**
         * AdamW's peak learning rate (default 5e-5).
         *
         * @param v the rate, > 0
         * @return this builder
         */
        public Builder learningRate(double v) { learningRate = v; return this; }
        /**
         * The learning rate's decay after warm-up (default cosine).
         *
         * @param v constant, linear or cosine
         * @return this builder
         */
        public Builder schedule(LrSchedule.Kind v) { schedule = v; return this; }
        /**
         * Share of the steps warming up (default 0.1).
         *
         * @param v the share, in [0, 1)
         * @return this builder
         */
        public Builder warmupRatio(double v) { warmupRatio = v; return this; }
        /**
         * AdamW's decoupled weight decay (default 0).
         *
         * @param v the decay
         * @return this builder
         */
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        /**
         * Gradient-norm clipping (default 1.0).
         *
         * @param v the largest L2 norm, ≥ 0; 0 = no clipping
         * @return this builder
         */
        public Builder maxGradNorm(double v) { maxGradNorm = v; return this; }
        /**
         * Passes over the training pairs when no step count is set (default 1).
         *
         * @param v the epochs
         * @return this builder
         */
        public Builder epochs(int v) { epochs = v; return this; }
        /**
         * Optimizer steps, overriding the epochs when above 0 (default 0).
         *
         * @param v the steps, or 0 to follow the epochs
         * @return this builder
         */
        public Builder maxSteps(int v) { maxSteps = v; return this; }
        /**
         * Pairs per micro-batch (default 4).
         *
         * @param v the pairs, ≥ 1
         * @return this builder
         */
        public Builder batchSize(int v) { batchSize = v; return this; }
        /**
         * Micro-batches per optimizer step (default 1).
         *
         * @param v the micro-batches, ≥ 1
         * @return this builder
         */
        public Builder gradientAccumulation(int v) { gradientAccumulation = v; return this; }
        /**
         * Tokens of prompt plus longer completion before a pair is truncated (default 1024).
         * Without an explicit {@link #maxPromptLength(int)}, a length at or below the prompt
         * limit in force (default 512) brings that limit down to half of it, so
         * {@code --max-length 256} alone works (prompts keep 128 tokens).
         *
         * @param v the tokens, above the prompt limit
         * @return this builder
         */
        public Builder maxLength(int v) { maxLength = v; return this; }
        /**
         * Prompt tokens kept when a pair is truncated (default 512).
         *
         * @param v the tokens, ≥ 1
         * @return this builder
         */
        public Builder maxPromptLength(int v) { maxPromptLength = v; promptLengthGiven = true; return this; }
        /**
         * Which end of a too-long prompt is kept (default keep_end).
         *
         * @param v the mode
         * @return this builder
         */
        public Builder truncationMode(Truncation.Mode v) { truncationMode = v; return this; }
        /**
         * Held-out evaluation every N steps (default 0: before the first step and after the last only).
         *
         * @param v N, or 0
         * @return this builder
         */
        public Builder evalEvery(int v) { evalEvery = v; return this; }
        /**
         * A checkpoint every N steps (default 0: none).
         *
         * @param v N, or 0
         * @return this builder
         */
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        /**
         * Seed of the adapter's initialisation, the data order and dropout (default 42).
         *
         * @param v the seed
         * @return this builder
         */
        public Builder seed(long v) { seed = v; return this; }
        /**
         * CPU threads of the Java forward and backward and of llama.cpp (default: the available processors).
         *
         * @param v the threads, ≥ 1
         * @return this builder
         */
        public Builder threads(int v) { threads = v; return this; }
        /**
         * Recompute activations in the backward instead of keeping them: less memory, more time (default false).
         *
         * @param v true to recompute
         * @return this builder
         */
        public Builder recompute(boolean v) { recompute = v; return this; }
        /**
         * Train even beyond the step-0 parity bounds (default false).
         *
         * @param v true to force
         * @return this builder
         */
        public Builder force(boolean v) { force = v; return this; }
        /**
         * Layers llama.cpp offloads to the GPU when scoring the reference (default −1: all).
         *
         * @param v the layers; negative = all, 0 = CPU only
         * @return this builder
         */
        public Builder gpuLayers(int v) { gpuLayers = v; return this; }
        /**
         * How the policy's forward rounds activations: llama.cpp's deployed arithmetic (default) or floats.
         *
         * @param v the arithmetic; not null
         * @return this builder
         */
        public Builder arithmetic(Arithmetic v) { arithmetic = v; return this; }

        /**
         * {@return the settings as a checked, immutable config}
         *
         * @throws IllegalArgumentException if a setting is out of range or two do not combine,
         *         as the {@link TrainConfig} constructor
         */
        public TrainConfig build() {
            int maxPromptLength = this.maxPromptLength;
            if (!promptLengthGiven && maxLength > 1 && maxPromptLength >= maxLength) maxPromptLength = maxLength / 2;
            return new TrainConfig(rank, alpha, rsLora, targets, loraDropout, loss, beta, labelSmoothing, simpoGamma, rpoAlpha,
                    fDivergence, fAlpha, discopopTau, cpoAlpha, desirableWeight, undesirableWeight, ulAlpha, ldAlpha, useWeighting,
                    learningRate, schedule, warmupRatio, weightDecay, maxGradNorm, epochs, maxSteps, batchSize,
                    gradientAccumulation, maxLength, maxPromptLength, truncationMode, evalEvery, checkpointEvery, seed,
                    threads, recompute, force, gpuLayers, arithmetic);
        }
    }

    /** {@return every setting by its component name, as text, in declaration order (the HTML report's table)} */
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
