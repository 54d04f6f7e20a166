package io.jdpo.bench;

import io.jdpo.gguf.GgmlType;
import io.jdpo.llama.RowQuantizer;
import io.jdpo.tensor.Arithmetic;
import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.QuantMatrix;
import org.openjdk.jmh.annotations.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The quantized weight products of the forward (y = x·Wᵀ), in both arithmetics, and of the
 * backward (dx += dy·W, the same in both), per type, on one 1024 × 1024 matrix and 256 tokens
 * with 2 threads. Scores are products per second; GFLOP/s = score × 2 × 1024 × 1024 × 256 / 1e9.
 * Run by scripts/bench/matmul.sh.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class MatmulBench {
    static final int ROWS = 1024, COLS = 1024, T = 256;

    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    public String type;

    /** The forward's arithmetic ({@link Arithmetic#parse}); the transposed product ignores it. */
    @Param({"deployed", "float"})
    public String arithmetic;

    private QuantMatrix m;
    private Parallel par;
    private Arena arena;
    private float[] x, y, dy, dx;

    @Setup
    public void setup() {
        GgmlType t = GgmlType.valueOf(type);
        Random rnd = new Random(1);
        float[] w = new float[ROWS * COLS];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        byte[] q = RowQuantizer.quantize(t.id(), w, ROWS, COLS, null);
        arena = Arena.ofShared();
        MemorySegment seg = arena.allocate(q.length, 64);
        MemorySegment.copy(q, 0, seg, ValueLayout.JAVA_BYTE, 0, q.length);
        m = new QuantMatrix("w", t, seg, COLS, ROWS);
        m.arithmetic(Arithmetic.parse(arithmetic));
        x = new float[T * COLS];
        dy = new float[T * ROWS];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < dy.length; i++) dy[i] = (float) rnd.nextGaussian();
        y = new float[T * ROWS];
        dx = new float[T * COLS];
        par = new Parallel(2);
    }

    @TearDown
    public void tearDown() {
        par.close();
        arena.close();
    }

    @Benchmark
    public float[] forward() {
        m.matmul(x, T, y, par);
        return y;
    }

    @Benchmark
    public float[] transposed() {
        m.matmulTransposedAdd(dy, T, dx, par);
        return dx;
    }
}
