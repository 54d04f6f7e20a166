package io.jdpo.testing;

import io.jdpo.llama.LlamaRuntime;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * ggml's CPU kernels themselves, called from the loaded libggml-cpu: the row quantizers llama.cpp
 * runs on activations ({@code quantize_row_q8_0}, AVX2 on this machine) and its block dot
 * products ({@code ggml_vec_dot_*}, and their portable {@code _generic} versions). The peer the
 * deployed arithmetic is tested against, kernel by kernel.
 */
public final class GgmlCpu {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIB;

    static {
        Path dir = LlamaRuntime.get().libraryDir();
        try (Stream<Path> s = Files.list(dir)) {
            Path cpu = s.filter(p -> p.getFileName().toString().matches("libggml-cpu.*\\.so")).sorted().findFirst()
                    .orElseThrow(() -> new IllegalStateException("no libggml-cpu*.so in " + dir));
            LIB = SymbolLookup.libraryLookup(cpu, Arena.global());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        try {
            LINKER.downcallHandle(LIB.findOrThrow("ggml_cpu_init"), FunctionDescriptor.ofVoid()).invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private GgmlCpu() {
    }

    /** quantize_row_{name}(x, y, n): the bytes ggml makes of n activations. */
    public static byte[] quantizeRow(String name, float[] x, int bytes) {
        MethodHandle h = LINKER.downcallHandle(LIB.findOrThrow("quantize_row_" + name),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocateFrom(ValueLayout.JAVA_FLOAT, x), dst = a.allocate(bytes, 64);
            h.invokeExact(src, dst, (long) x.length);
            return dst.toArray(ValueLayout.JAVA_BYTE);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** ggml_vec_dot_{name}(n, &s, 0, x, 0, y, 0, 1): one weight row against one quantized activation row. */
    public static float vecDot(String name, int n, byte[] weights, byte[] activations) {
        MethodHandle h = LINKER.downcallHandle(LIB.findOrThrow("ggml_vec_dot_" + name),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(ValueLayout.JAVA_FLOAT);
            MemorySegment x = a.allocate(weights.length, 64), y = a.allocate(activations.length, 64);
            x.copyFrom(MemorySegment.ofArray(weights));
            y.copyFrom(MemorySegment.ofArray(activations));
            h.invokeExact(n, s, 0L, x, 0L, y, 0L, 1);
            return s.get(ValueLayout.JAVA_FLOAT, 0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** ggml_table_gelu_f16: the F16 GELU of every F16 input, by its bits, as ggml_cpu_init filled it. */
    public static short[] geluTable() {
        return LIB.findOrThrow("ggml_table_gelu_f16").reinterpret(2L << 16).toArray(ValueLayout.JAVA_SHORT);
    }
}
