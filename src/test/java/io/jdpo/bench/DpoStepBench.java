package io.jdpo.bench;

import io.jdpo.llama.FileType;
import io.jdpo.model.ForwardPass;
import io.jdpo.model.LoraConfig;
import io.jdpo.model.LoraTarget;
import io.jdpo.model.LoraWeights;
import io.jdpo.model.ModelConfig;
import io.jdpo.model.Transformer;
import io.jdpo.tensor.SegmentMath;
import io.jdpo.testing.TestModelFactory;
import io.jdpo.train.AdamW;
import io.jdpo.train.DpoLoss;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * One LoRA-DPO step of jdpo's trainer, timed: policy forward and backward on chosen and
 * rejected (prompt P + completion C tokens each, the prompt computed once for both, as the
 * trainer does), DPO loss against fixed reference sums,
 * AdamW on the adapter. Prints one key=value line: seconds per step, useful FLOPs per step
 * (see {@link #stepFlops}), peak resident memory. Reference scoring is outside the step, as in
 * the PyTorch peer.
 *
 * <p>Run by scripts/bench/dpo-step.sh: args = model threads P C rank reps [tokenizer workdir], or
 * {@code prepare model tokenizer workdir} to write a generated model first; a model
 * of the form {@code generated:TYPE} is the ~0.5B-class Llama (dim 1024, 16 layers, 16 heads / 4
 * KV, ffn 2816) generated with the tokenizer's vocabulary and quantized by llama.cpp to TYPE.
 */
public final class DpoStepBench {
    public static void main(String[] a) throws Exception {
        if (a[0].equals("prepare")) {
            // Writing the generated model needs more heap than the step is given: a run of its own.
            model(a[1], a[2], a[3]);
            return;
        }
        Path model = model(a[0], a.length > 7 ? a[6] : null, a.length > 7 ? a[7] : null);
        int threads = Integer.parseInt(a[1]), P = Integer.parseInt(a[2]), C = Integer.parseInt(a[3]);
        int rank = Integer.parseInt(a[4]), reps = Integer.parseInt(a[5]);
        try (Transformer tf = Transformer.load(model, threads);
             LoraWeights lora = LoraWeights.init(tf.config(), new LoraConfig(rank, 2f * rank, false, LoraTarget.all()), 1);
             LoraWeights grads = lora.zerosLike();
             AdamW opt = AdamW.standard(lora)) {
            ModelConfig c = tf.config();
            // B small and non-zero, as after a few steps, so every LoRA product does real work.
            Random rnd = new Random(2);
            lora.layers().values().forEach(m -> m.values().forEach(p -> {
                for (long i = 0; i < (long) p.nOut() * p.rank(); i++) SegmentMath.set(p.b(), i, (float) (1e-3 * rnd.nextGaussian()));
            }));
            tf.setAdapter(lora);
            int[] chosen = new int[P + C], rejected = new int[P + C];
            for (int i = 0; i < P + C; i++) {
                chosen[i] = 3 + rnd.nextInt(c.vocab() - 3);
                rejected[i] = i < P ? chosen[i] : 3 + rnd.nextInt(c.vocab() - 3);
            }
            int[] prompt = Arrays.copyOf(chosen, P);
            DpoLoss loss = DpoLoss.dpo();
            Runnable step = () -> {
                grads.clear();
                ForwardPass pass = tf.forwardPair(prompt, Arrays.copyOfRange(chosen, P, P + C), Arrays.copyOfRange(rejected, P, P + C), false);
                DpoLoss.Result r = loss.evaluate(new DpoLoss.Pair(pass.sum(0), pass.sum(1), -5.0 * C, -5.0 * C, C, C));
                float[] d = new float[2 * C];
                Arrays.fill(d, 0, C, (float) r.dPolicyChosen());
                Arrays.fill(d, C, 2 * C, (float) r.dPolicyRejected());
                tf.backward(pass, d, grads);
                opt.step(lora, grads, 1e-4);
            };
            step.run();
            // The mean for the table; the best step by the process's CPU time too, which other
            // tenants of a shared machine disturb far less (for comparing two builds back to back).
            long t0 = System.nanoTime();
            double cpu = Double.MAX_VALUE;
            for (int i = 0; i < reps; i++) {
                long c0 = ForwardProbe.cpuNanos();
                step.run();
                cpu = Math.min(cpu, (ForwardProbe.cpuNanos() - c0) / 1e9);
            }
            double secs = (System.nanoTime() - t0) / 1e9 / reps;
            double flops = stepFlops(c, P, C, rank, true), separate = stepFlops(c, P, C, rank, false);
            // What the step must hold: the mapped GGUF, adapter + gradient + two AdamW moments, and the
            // activations kept for the backward (the pass's slab, P + 2C rows).
            double acts = Transformer.keptActivationBytes(c, lora.config(), P + 2 * C);
            double budget = Files.size(model) + 4.0 * 4 * lora.parameterCount() + acts;
            // key=value for scripts/bench/dpo-step.sh, which prints the table.
            System.out.printf(Locale.ROOT, "jdpo model=%s secs=%.4f cpu_secs=%.3f flops=%.6e separate_flops=%.6e rss_mib=%.0f budget_mib=%.0f file_mib=%.1f shape=%d,%d,%d,%d,%d,%d%n",
                    model.getFileName(), secs, cpu, flops, separate, ForwardMemory.peakKiB() / 1024.0, budget / 1048576.0, Files.size(model) / 1048576.0,
                    c.dim(), c.layers(), c.heads(), c.kvHeads(), c.ffn(), c.vocab());
        }
    }

    /** The model a benchmark argument names: a file, or {@code generated:TYPE} (written under workdir the first time). */
    static Path model(String arg, String tokenizer, String workdir) throws Exception {
        return arg.startsWith("generated:")
                ? TestModelFactory.quantized(Path.of(tokenizer), new TestModelFactory.Shape(1024, 16, 16, 4, 2816, 2048), 1,
                FileType.parse(arg.substring("generated:".length())), Path.of(workdir))
                : Path.of(arg);
    }

    /**
     * FLOPs of one step (2 per multiply-add) for prompt P and completions of C tokens each.
     * Shared: what jdpo computes, the prompt once (P + 2C rows through every projection;
     * each completion attends to the prompt and itself). Separate: two full sequences of
     * P + C tokens, as the PyTorch peer (and TRL) run it. Forward: projections, causal
     * attention (scores and values), logits at the 2C predictions and their transposed
     * product, LoRA; backward: input gradients through the frozen projections (as many
     * FLOPs as the forward's), attention twice over, LoRA about twice.
     */
    static double stepFlops(ModelConfig c, int P, int C, int rank, boolean shared) {
        double rows = shared ? P + 2.0 * C : 2.0 * (P + C);
        double keyPairs = shared ? P * (P + 1) / 2.0 + 2 * (C * (double) P + C * (C + 1) / 2.0) : 2 * ((P + C) * (P + C + 1) / 2.0);
        double perRowLinear = c.layers() * ((double) c.dim() * (c.qDim() + 2 * c.kvDim()) + (double) c.qDim() * c.dim()
                + 3.0 * c.dim() * c.ffn());
        double linear = 2 * perRowLinear * rows;
        double attention = 2 * 2 * c.layers() * (double) c.heads() * c.headDim() * keyPairs;
        double output = 2 * 2.0 * C * c.dim() * c.vocab();
        double loraPerRow = c.layers() * (double) rank * (c.dim() + c.qDim() + 2 * (c.dim() + c.kvDim()) + c.qDim() + c.dim()
                + 2 * (c.dim() + c.ffn()) + c.ffn() + c.dim());
        double lora = 2 * loraPerRow * rows;
        return (linear + attention + 2 * output + lora) + (linear + 2 * attention + 2 * lora);
    }
}
