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
                best = Math.max(best, threads * iters * 8.0 * F.length() * 2 / s / 1e9);
            }
        }
        return best;
    }

    private static float chains(long iters) {
        FloatVector a = FloatVector.broadcast(F, 0.999f), b = FloatVector.broadcast(F, 1e-7f);
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (long i = 0; i < iters; i++) {
            c0 = c0.fma(a, b); c1 = c1.fma(a, b); c2 = c2.fma(a, b); c3 = c3.fma(a, b);
            c4 = c4.fma(a, b); c5 = c5.fma(a, b); c6 = c6.fma(a, b); c7 = c7.fma(a, b);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
