package io.jdpo.train;

import io.jdpo.model.ForwardPass;
import io.jdpo.model.Transformer;
import io.jdpo.tensor.SegmentMath;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Full-parameter language-model training of a small F32 model (a {@link Transformer#loadTrainable}
 * one) on a token stream: random windows, mean next-token loss, AdamW on every weight with
 * cosine decay and gradient clipping. It builds the demo model; DPO itself trains LoRA
 * adapters ({@link DpoTrainer}).
 */
public final class Pretrainer {
    public record Config(int seqLen, int batch, int steps, double lr, double warmupRatio, double weightDecay, long seed) {
    }

    private Pretrainer() {
    }

    /** Trains in place and returns one metrics row per step (step, loss, learning_rate, grad_norm). */
    public static List<Map<String, Object>> train(Transformer tf, int[] tokens, Config c, TrainListener listener) {
        if (tokens.length < c.seqLen() + 2) throw new IllegalArgumentException("the corpus is shorter than one window");
        Map<String, Object> params = tf.parameters();
        Map<String, float[]> grads = new LinkedHashMap<>(), m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
        params.forEach((name, p) -> {
            int n = p instanceof float[] a ? a.length : (int) (((MemorySegment) p).byteSize() / Float.BYTES);
            grads.put(name, new float[n]);
            m.put(name, new float[n]);
            v.put(name, new float[n]);
        });
        LrSchedule schedule = new LrSchedule(LrSchedule.Kind.COSINE, c.lr(), (int) Math.round(c.warmupRatio() * c.steps()), c.steps());
        SplittableRandom rnd = new SplittableRandom(c.seed());
        List<Map<String, Object>> rows = new ArrayList<>();
        float[] coef = new float[c.seqLen()];
        Arrays.fill(coef, -1f / (c.batch() * c.seqLen()));
        long seen = 0;
        for (int step = 0; step < c.steps(); step++) {
            grads.values().forEach(g -> Arrays.fill(g, 0f));
            double loss = 0;
            for (int b = 0; b < c.batch(); b++) {
                int off = rnd.nextInt(tokens.length - c.seqLen() - 1);
                ForwardPass pass = tf.forward(Arrays.copyOfRange(tokens, off, off + c.seqLen() + 1), 1, false);
                loss -= pass.sum() / (c.batch() * c.seqLen());
                tf.backwardFull(pass, coef, grads);
                seen += c.seqLen() + 1;
            }
            double norm = 0;
            for (float[] g : grads.values()) for (float x : g) norm += (double) x * x;
            norm = Math.sqrt(norm);
            double clip = norm > 1.0 ? 1.0 / norm : 1.0, lr = schedule.at(step);
            int t = step + 1;
            double c1 = 1 - Math.pow(0.9, t), c2 = 1 - Math.pow(0.95, t);
            for (var e : params.entrySet()) {
                String name = e.getKey();
                float[] w = e.getValue() instanceof float[] a ? a : SegmentMath.toArray((MemorySegment) e.getValue());
                float[] g = grads.get(name), mm = m.get(name), vv = v.get(name);
                // Weight decay on matrices only, not on norm weights.
                double wd = e.getValue() instanceof float[] ? 0 : c.weightDecay();
                for (int i = 0; i < w.length; i++) {
                    double gi = g[i] * clip;
                    mm[i] = (float) (0.9 * mm[i] + 0.1 * gi);
                    vv[i] = (float) (0.95 * vv[i] + 0.05 * gi * gi);
                    w[i] -= (float) (lr * (wd * w[i] + (mm[i] / c1) / (Math.sqrt(vv[i] / c2) + 1e-8)));
                }
                if (e.getValue() instanceof MemorySegment seg) {
                    for (int i = 0; i < w.length; i++) SegmentMath.set(seg, i, w[i]);
                }
            }
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
        return rows;
    }
}
