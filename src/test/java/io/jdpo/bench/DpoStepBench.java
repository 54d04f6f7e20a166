package io.jdpo.bench;

import io.jdpo.model.ForwardPass;
import io.jdpo.model.LoraConfig;
import io.jdpo.model.LoraTarget;
import io.jdpo.model.LoraWeights;
import io.jdpo.model.ModelConfig;
import io.jdpo.model.Transformer;
import io.jdpo.tensor.SegmentMath;
import io.jdpo.train.AdamW;
import io.jdpo.train.DpoLoss;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * One LoRA-DPO step of jdpo's trainer, timed: policy forward and backward on chosen and
 * rejected (prompt P + completion C tokens each), DPO loss against fixed reference sums,
 * AdamW on the adapter. Prints one line: tokens/s, GFLOP/s (useful FLOPs, see
 * {@link #stepFlops}), peak resident memory. Reference scoring is outside the step, as in
 * the PyTorch peer.
 *
 * <p>Run by scripts/bench/dpo-step.sh: args = model threads P C rank reps
 */
public final class DpoStepBench {
    public static void main(String[] a) throws Exception {
        Path model = Path.of(a[0]);
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
            DpoLoss loss = DpoLoss.dpo();
            Runnable step = () -> {
                grads.clear();
                ForwardPass pc = tf.forward(chosen, P, false), pr = tf.forward(rejected, P, false);
                DpoLoss.Result r = loss.evaluate(new DpoLoss.Pair(pc.sum(), pr.sum(), -5.0 * C, -5.0 * C, C, C));
                float[] dc = new float[C], dr = new float[C];
                Arrays.fill(dc, (float) r.dPolicyChosen());
                Arrays.fill(dr, (float) r.dPolicyRejected());
                tf.backward(pc, dc, grads);
                tf.backward(pr, dr, grads);
                opt.step(lora, grads, 1e-4);
            };
            step.run();
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) step.run();
            double secs = (System.nanoTime() - t0) / 1e9 / reps;
            double flops = stepFlops(c, P + C, C, rank);
            System.out.printf(Locale.ROOT, "jdpo %s: %.1f tokens/s, %.2f s/step, %.1f GFLOP/s, peak RSS %.0f MiB, file %.0f MiB%n",
                    model.getFileName(), 2.0 * (P + C) / secs, secs, flops / secs / 1e9, ForwardMemory.peakKiB() / 1024.0,
                    Files.size(model) / 1048576.0);
        }
    }

    /**
     * Useful FLOPs of one step (2 per multiply-add), the same count for both peers: per
     * sequence of T tokens with n completion positions, the forward's projections, causal
     * attention, output logits at the n positions and LoRA products; the backward's input
     * gradients through the frozen projections (as many as the forward), attention (twice the
     * forward), the output (logits recomputed, then transposed) and LoRA (about twice).
     */
    static double stepFlops(ModelConfig c, int T, int n, int rank) {
        double perTokenLinear = c.layers() * ((double) c.dim() * (c.qDim() + 2 * c.kvDim()) + (double) c.qDim() * c.dim()
                + 3.0 * c.dim() * c.ffn());
        double linear = 2 * perTokenLinear * T;
        double attention = 2 * c.layers() * (double) c.heads() * c.headDim() * T * (T + 1) / 2.0 * 2;
        double output = 2.0 * n * c.dim() * c.vocab();
        double loraPerToken = c.layers() * (double) rank * (c.dim() + c.qDim() + 2 * (c.dim() + c.kvDim()) + c.qDim() + c.dim()
                + 2 * (c.dim() + c.ffn()) + c.ffn() + c.dim());
        double lora = 2 * loraPerToken * T;
        double forward = linear + attention + output + lora;
        double backward = linear + 2 * attention + 2 * output + 2 * lora;
        return 2 * (forward + backward);
    }
}
