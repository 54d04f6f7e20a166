package io.jdpo.bench;

import io.jdpo.gguf.GgmlType;
import io.jdpo.llama.RowQuantizer;
import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.QuantMatrix;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Random;

/**
 * Times one quantized matrix product in isolation, for kernel work (scripts/bench/probe.sh
 * MatmulProbe type rows cols T threads [transposed]). Prints, per half-second round, GFLOP/s by
 * the wall clock; with one thread, the last line is the best product by the thread's own CPU time
 * too, which other tenants of a shared machine disturb far less (use it to compare two builds
 * back to back; it leaves out the garbage collector's threads, whose work ForwardProbe counts).
 */
public final class MatmulProbe {
    public static void main(String[] a) {
        GgmlType type = GgmlType.valueOf(a[0]);
        int rows = Integer.parseInt(a[1]), cols = Integer.parseInt(a[2]), T = Integer.parseInt(a[3]), th = Integer.parseInt(a[4]);
        Random rnd = new Random(1);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        QuantMatrix m = new QuantMatrix("w", type, MemorySegment.ofArray(RowQuantizer.quantize(type.id(), w, rows, cols, null)), cols, rows);
        boolean transposed = a.length > 5 && a[5].startsWith("t");
        float[] x = new float[T * cols], y = new float[T * rows];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        var threadClock = ManagementFactory.getThreadMXBean();
        double flops = 2.0 * rows * cols * T, bestCpu = 0;
        try (Parallel par = new Parallel(th)) {
            for (int rep = 0; rep < 6; rep++) {
                long t0 = System.nanoTime(), calls = 0;
                do {
                    long c0 = threadClock.getCurrentThreadCpuTime();
                    if (transposed) m.matmulTransposedAdd(y, T, x, par);
                    else m.matmul(x, T, y, par);
                    // One thread runs the product on this thread (Parallel runs a single range inline).
                    if (th == 1) bestCpu = Math.max(bestCpu, flops / (threadClock.getCurrentThreadCpuTime() - c0));
                    calls++;
                } while (System.nanoTime() - t0 < 500_000_000L);
                double s = (System.nanoTime() - t0) / 1e9 / calls;
                System.out.printf(Locale.ROOT, "%s %dx%d T=%d%s: %.1f GFLOP/s%n", type, rows, cols, T, transposed ? " transposed" : "", flops / s / 1e9);
            }
        }
        if (th == 1) System.out.printf(Locale.ROOT, "best by thread CPU time: %.1f GFLOP/s%n", bestCpu);
    }
}
