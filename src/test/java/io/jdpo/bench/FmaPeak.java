package io.jdpo.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures this machine's FP32 fused-multiply-add peak from Java: independent vector FMA
 * chains on every thread, enough of them to hide the FMA latency.
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int CHAINS = 12;

    private FmaPeak() {
    }

    /** GFLOP/s with {@code threads} threads (best of 5 trials). */
    public static double measure(int threads) throws Exception {
        double best = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int trial = 0; trial < 5; trial++) {
                long iters = 20_000_000;
                List<Future<Float>> fs = new ArrayList<>();
                long t0 = System.nanoTime();
                for (int t = 0; t < threads; t++) fs.add(pool.submit(() -> chains(iters)));
                float sink = 0;
                for (Future<Float> f : fs) sink += f.get();
                double s = (System.nanoTime() - t0) / 1e9;
                if (sink == 42) System.out.print("");
                best = Math.max(best, threads * iters * (double) CHAINS * F.length() * 2 / s / 1e9);
            }
        }
        return best;
    }

    private static float chains(long iters) {
        // Twelve independent accumulators in the accumulate form c = a·b + c, as the kernels
        // use it. FMA latency (4 cycles on Zen) times its two ports needs eight in flight; with
        // eight, or in the form c = c·a + b, the JIT's code read 40% low here (54 against 94
        // GFLOP/s on one core), while twelve accumulate-form chains match a C loop of twelve
        // _mm256_fmadd_ps chains (91 GFLOP/s on the same core, same sitting).
        FloatVector a = FloatVector.broadcast(F, 0.999f), b = FloatVector.broadcast(F, 1e-7f);
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0,
                c11 = c0;
        for (int i = 0; i < (int) iters; i++) {
            c0 = a.fma(b, c0); c1 = a.fma(b, c1); c2 = a.fma(b, c2); c3 = a.fma(b, c3);
            c4 = a.fma(b, c4); c5 = a.fma(b, c5); c6 = a.fma(b, c6); c7 = a.fma(b, c7);
            c8 = a.fma(b, c8); c9 = a.fma(b, c9); c10 = a.fma(b, c10); c11 = a.fma(b, c11);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
