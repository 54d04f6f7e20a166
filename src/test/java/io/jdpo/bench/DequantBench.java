package io.jdpo.bench;

import io.jdpo.gguf.GgmlType;
import io.jdpo.llama.RowQuantizer;
import io.jdpo.tensor.Dequantizer;
import org.openjdk.jmh.annotations.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Dequantization throughput, jdpo's Java (Vector API and scalar reference) beside ggml's
 * to_float called through the binding, on the same 1 Mi values in native memory. Scores
 * are values per microsecond; scripts/bench/dequant.sh turns them into GB/s of output.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1) // JVM flags come from scripts/bench/dequant.sh
public class DequantBench {
    static final int N = 1 << 20;

    @Param({"F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    public String type;

    private GgmlType t;
    private Arena arena;
    private MemorySegment src;
    private MemorySegment nativeOut;
    private float[] out;

    @Setup
    public void setup() {
        t = GgmlType.valueOf(type);
        Random rnd = new Random(1);
        float[] x = new float[N];
        for (int i = 0; i < N; i++) x[i] = (float) rnd.nextGaussian();
        byte[] q = RowQuantizer.quantize(t.id(), x, N / 4096, 4096, null);
        arena = Arena.ofShared();
        src = arena.allocate(q.length, 64);
        MemorySegment.copy(q, 0, src, ValueLayout.JAVA_BYTE, 0, q.length);
        nativeOut = arena.allocate(ValueLayout.JAVA_FLOAT, N);
        out = new float[N];
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public float[] javaVector() {
        Dequantizer.dequantize(t, src, out, 0, N);
        return out;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public float[] javaScalar() {
        Dequantizer.dequantizeScalar(t, src, out, 0, N);
        return out;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public MemorySegment ggml() {
        RowQuantizer.toFloat(t.id(), src, nativeOut, N);
        return nativeOut;
    }
}
