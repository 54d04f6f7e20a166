package io.jdpo.cli;

import io.jdpo.model.LoraTarget;
import io.jdpo.train.LrSchedule;
import io.jdpo.train.TrainConfig;
import io.jdpo.data.Truncation;
import picocli.CommandLine.Option;

import java.util.EnumSet;
import java.util.List;

/**
 * The options every LoRA trainer takes (jdpo train, jdpo sft): adapter shape, optimizer and
 * schedule, steps and batches, length limits, evaluation and checkpoint cadence, seed,
 * recomputation and arithmetic. Each is null until given, so {@link #apply} changes only what
 * the user set.
 */
final class TrainingOptions {
    @Option(names = "--rank", description = "LoRA rank (default 16)")
    Integer rank;
    @Option(names = "--alpha", description = "LoRA alpha (default 32)")
    Double alpha;
    @Option(names = "--rslora", description = "scale by alpha/√r instead of alpha/r")
    Boolean rsLora;
    @Option(names = "--lora-dropout", description = "dropout on the adapter's input while training (default 0)")
    Double loraDropout;
    @Option(names = "--targets", split = ",", description = "LoRA targets (default all): attn_q, attn_k, attn_v, attn_qkv, attn_output, ffn_gate, ffn_up, ffn_down (on fused models attn_q/k/v adapt attn_qkv and ffn_gate the fused ffn_up)")
    List<String> targets;
    @Option(names = "--lr", description = "peak learning rate (default 5e-5)")
    Double lr;
    @Option(names = "--schedule", description = "constant, linear, cosine (default cosine)")
    String schedule;
    @Option(names = "--warmup-ratio", description = "share of steps warming up (default 0.1)")
    Double warmupRatio;
    @Option(names = "--weight-decay", description = "AdamW weight decay (default 0)")
    Double weightDecay;
    @Option(names = "--max-grad-norm", description = "gradient-norm clipping, 0 = off (default 1.0)")
    Double maxGradNorm;
    @Option(names = "--epochs", description = "epochs when --max-steps is not given (default 1)")
    Integer epochs;
    @Option(names = "--max-steps", description = "optimizer steps (overrides --epochs)")
    Integer maxSteps;
    @Option(names = "--batch-size", description = "pairs per micro-batch (default 4)")
    Integer batchSize;
    @Option(names = "--grad-accum", description = "micro-batches per optimizer step (default 1)")
    Integer gradAccum;
    @Option(names = "--max-length", description = "prompt + completion tokens (default 1024)")
    Integer maxLength;
    @Option(names = "--max-prompt-length", description = "prompt tokens kept when truncating (default 512, or half of a smaller --max-length)")
    Integer maxPromptLength;
    @Option(names = "--truncation", description = "keep_end or keep_start of the prompt (default keep_end)")
    String truncation;
    @Option(names = "--eval-every", description = "evaluate every N steps (default: at the start and the end)")
    Integer evalEvery;
    @Option(names = "--checkpoint-every", description = "checkpoint every N steps (default: none)")
    Integer checkpointEvery;
    @Option(names = "--seed", description = "seed of the adapter's initialisation and the data order (default 42)")
    Long seed;
    @Option(names = "--recompute", description = "keep only each layer's input and recompute the rest in the backward (less memory)")
    Boolean recompute;
    @Option(names = "--arithmetic", description = "deployed (default: round activations before each quantized product as llama.cpp's CPU backend does) or float")
    String arithmetic;

    /**
     * The builder with every option given set on it.
     *
     * @param b the settings so far
     * @return b
     */
    TrainConfig.Builder apply(TrainConfig.Builder b) {
        if (rank != null) b.rank(rank);
        if (alpha != null) b.alpha(alpha);
        if (rsLora != null) b.rsLora(rsLora);
        if (loraDropout != null) b.loraDropout(loraDropout);
        if (targets != null) {
            EnumSet<LoraTarget> set = EnumSet.noneOf(LoraTarget.class);
            for (String t : targets) set.add(LoraTarget.parse(t.trim()));
            b.targets(set);
        }
        if (lr != null) b.learningRate(lr);
        if (schedule != null) b.schedule(LrSchedule.Kind.parse(schedule));
        if (warmupRatio != null) b.warmupRatio(warmupRatio);
        if (weightDecay != null) b.weightDecay(weightDecay);
        if (maxGradNorm != null) b.maxGradNorm(maxGradNorm);
        if (epochs != null) b.epochs(epochs);
        if (maxSteps != null) b.maxSteps(maxSteps);
        if (batchSize != null) b.batchSize(batchSize);
        if (gradAccum != null) b.gradientAccumulation(gradAccum);
        if (maxLength != null) b.maxLength(maxLength);
        if (maxPromptLength != null) b.maxPromptLength(maxPromptLength);
        if (truncation != null) b.truncationMode(Truncation.Mode.parse(truncation));
        if (evalEvery != null) b.evalEvery(evalEvery);
        if (checkpointEvery != null) b.checkpointEvery(checkpointEvery);
        if (seed != null) b.seed(seed);
        if (recompute != null) b.recompute(recompute);
        if (arithmetic != null) b.arithmetic(io.jdpo.tensor.Arithmetic.parse(arithmetic));
        return b;
    }

    /** Whether the adapter's shape (rank, alpha, rsLoRA, targets) was given: an --init-adapter must then agree with it. */
    boolean shapeGiven() {
        return rank != null || alpha != null || rsLora != null || targets != null;
    }
}
