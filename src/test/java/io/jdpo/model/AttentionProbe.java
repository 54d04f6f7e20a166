package io.jdpo.model;

import io.jdpo.tensor.Parallel;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Random;

/**
 * The training backward of one layer's attention timed alone, for comparing two builds back to
 * back (scripts/bench/probe.sh io.jdpo.model.AttentionProbe [prompt] [completion] [reps]): a
 * preference pair as the trainer packs it (prompt, chosen, rejected) on the 0.5B bench shape
 * (16 heads of 64, 4 KV heads), on one thread. Prints the best call by the thread's CPU time and
 * GFLOP/s counting the five products (QKᵀ again, dO·Vᵀ, dS·K, dSᵀ·Q, Pᵀ·dO) over the keys each
 * query sees; the kernels compute whole blocks of 64 queries, somewhat more.
 */
public final class AttentionProbe {
    public static void main(String[] a) {
        int P = a.length > 0 ? Integer.parseInt(a[0]) : 128, C = a.length > 1 ? Integer.parseInt(a[1]) : 128;
        int reps = a.length > 2 ? Integer.parseInt(a[2]) : 300;
        int heads = 16, kvHeads = 4, hd = 64, dim = heads * hd;
        ModelConfig cfg = new ModelConfig(Architecture.LLAMA, dim, 1, heads, kvHeads, hd, 2816, 32000, 4096,
                1e-5f, 10000f, hd, 1f, (float) (1 / Math.sqrt(hd)));
        Random rnd = new Random(1);
        Layout layout = Layout.pair(rnd.ints(P, 3, 100).toArray(), rnd.ints(C, 3, 100).toArray(), rnd.ints(C, 3, 100).toArray());
        int T = layout.length(), qd = cfg.qDim(), kvd = cfg.kvDim();
        float[] q = gaussian(rnd, T * qd), k = gaussian(rnd, T * kvd), v = gaussian(rnd, T * kvd), dOut = gaussian(rnd, T * qd);
        float[] dq = new float[T * qd], dk = new float[T * kvd], dv = new float[T * kvd];
        Attention.Options opt = new Attention.Options(cfg.attentionScale(), 0, 0f);
        // Keys seen: a prompt row t sees t + 1; row i of either completion the prompt and i + 1 of its own.
        long seen = (long) P * (P + 1) / 2 + 2L * ((long) C * P + (long) C * (C + 1) / 2);
        double flops = 5 * 2.0 * hd * heads * seen, best = Double.MAX_VALUE;
        var clock = ManagementFactory.getThreadMXBean();
        try (Parallel par = new Parallel(1)) {
            for (int r = 0; r < reps; r++) {
                long c0 = clock.getCurrentThreadCpuTime();
                Attention.backward(q, k, v, dOut, dq, dk, dv, layout, cfg, par, opt);
                best = Math.min(best, (clock.getCurrentThreadCpuTime() - c0) / 1e9);
            }
        }
        System.out.printf(Locale.ROOT, "attention backward, pair %d + %d + %d tokens, one thread: best %.2f ms, %.1f GFLOP/s%n",
                P, C, C, best * 1e3, flops / best / 1e9);
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }
}
