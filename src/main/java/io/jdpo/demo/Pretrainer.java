package io.jdpo.demo;

import io.jdpo.train.AdamW;
import io.jdpo.train.DpoTrainer;
import io.jdpo.train.LrSchedule;
import io.jdpo.progress.TrainListener;

import io.jdpo.model.ForwardPass;
import io.jdpo.model.Transformer;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Full-parameter language-model training of a small F32 model (a {@link FullParameterModel})
 * on a token stream: random windows, mean next-token loss, {@link AdamW} on every weight
 * (decay on matrices only) with cosine decay and gradient clipping. It builds the demo model;
 * DPO itself trains LoRA adapters ({@link DpoTrainer}).
 */
public final class Pretrainer {
    /**
     * The run's settings.
     *
     * @param seqLen      tokens predicted per window (the window holds one more)
     * @param batch       windows per step
     * @param steps       optimizer steps
     * @param lr          the peak learning rate
     * @param warmupRatio the share of steps warming up linearly before the cosine decay, in [0, 1]
     * @param weightDecay AdamW's decoupled weight decay, applied to matrices only
     * @param seed        the seed of the windows' positions
     */
    public record Config(int seqLen, int batch, int steps, double lr, double warmupRatio, double weightDecay, long seed) {
    }

    private Pretrainer() {
    }

    /**
     * Trains in place and returns one metrics row per step (step, loss, learning_rate, grad_norm).
     * Gradients are clipped to a global norm of 1.
     *
     * @param model    the model, whose weights are updated
     * @param tokens   the corpus as one token stream, longer than seqLen + 1
     * @param c        the settings
     * @param listener receives progress per step and a message every 50 steps
     * @return one row per step: "step" (from 1), "loss" (mean next-token loss in nats, before the
     *         update), "learning_rate" and "grad_norm" (before clipping)
     * @throws IllegalArgumentException if the corpus is shorter than one window
     */
    public static List<Map<String, Object>> train(FullParameterModel model, int[] tokens, Config c, TrainListener listener) {
        if (tokens.length < c.seqLen() + 2) throw new IllegalArgumentException("the corpus is shorter than one window");
        Transformer tf = model.transformer();
        Map<String, float[]> grads = model.zeroGradients();
        List<String> names = new ArrayList<>(model.parameters().keySet());
        List<MemorySegment> gradSegments = new ArrayList<>();
        double[] decay = new double[names.size()];
        for (int k = 0; k < names.size(); k++) {
            gradSegments.add(MemorySegment.ofArray(grads.get(names.get(k))));
            // Weight decay on matrices only, not on norm weights.
            decay[k] = model.isMatrix(names.get(k)) ? c.weightDecay() : 0;
        }
        LrSchedule schedule = new LrSchedule(LrSchedule.Kind.COSINE, c.lr(), (int) Math.round(c.warmupRatio() * c.steps()), c.steps());
        SplittableRandom rnd = new SplittableRandom(c.seed());
        List<Map<String, Object>> rows = new ArrayList<>();
        float[] coef = new float[c.seqLen()];
        Arrays.fill(coef, -1f / (c.batch() * c.seqLen()));
        long seen = 0;
        try (AdamW opt = new AdamW(new ArrayList<>(model.parameters().values()), decay, 0.9, 0.95, 1e-8)) {
            for (int step = 0; step < c.steps(); step++) {
                grads.values().forEach(g -> Arrays.fill(g, 0f));
                double loss = 0;
                for (int b = 0; b < c.batch(); b++) {
                    int off = rnd.nextInt(tokens.length - c.seqLen() - 1);
                    ForwardPass pass = tf.forward(Arrays.copyOfRange(tokens, off, off + c.seqLen() + 1), 1, false);
                    loss -= pass.sum() / (c.batch() * c.seqLen());
                    model.backward(pass, coef, grads);
                    seen += c.seqLen() + 1;
                }
                double norm = 0;
                for (float[] g : grads.values()) for (float x : g) norm += (double) x * x;
                norm = Math.sqrt(norm);
                double lr = schedule.at(step);
                opt.step(gradSegments, lr, norm > 1.0 ? 1.0 / norm : 1.0);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("step", step + 1);
                row.put("loss", loss);
                row.put("learning_rate", lr);
                row.put("grad_norm", norm);
                rows.add(row);
                listener.progress("pretrain", step + 1, c.steps(), seen);
                if ((step + 1) % 50 == 0 || step + 1 == c.steps()) listener.message(String.format(java.util.Locale.ROOT,
                        "step %d/%d  loss %.4f  lr %.2e  grad norm %.3f", step + 1, c.steps(), loss, lr, norm));
            }
        }
        return rows;
    }
}
