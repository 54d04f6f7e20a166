package io.jdpo.bench;

import io.jdpo.gguf.GgmlType;
import io.jdpo.llama.RowQuantizer;
import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.QuantMatrix;

import java.lang.foreign.MemorySegment;
import java.util.Random;

/** Times one quantized matrix product in isolation (GFLOP/s), for kernel work. Args: type rows cols T threads [transposed]. */
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
        try (Parallel par = new Parallel(th)) {
            for (int rep = 0; rep < 6; rep++) {
                long t0 = System.nanoTime(), calls = 0;
                do {
                    if (transposed) m.matmulTransposedAdd(y, T, x, par);
                    else m.matmul(x, T, y, par);
                    calls++;
                } while (System.nanoTime() - t0 < 500_000_000L);
                double s = (System.nanoTime() - t0) / 1e9 / calls;
                System.out.printf("%s %dx%d T=%d%s: %.1f GFLOP/s%n", type, rows, cols, T, transposed ? " transposed" : "", 2.0 * rows * cols * T / s / 1e9);
            }
        }
    }
}
