package io.jdpo.tensor;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.lang.foreign.ValueLayout;

/**
 * The C library's single-precision functions that ggml-cpu calls element by element (rope's
 * {@code cosf}/{@code sinf}, soft-capping's {@code tanhf}, the scalar tails of its vector
 * loops' {@code expf}), called in the running process's libm: they are not correctly rounded,
 * and Java's {@link Math} (in double, then rounded) differs from them in the last bit now and
 * then. Where the C library cannot be reached, Java's functions stand in.
 */
public final class CMath {
    private static final MethodHandle COSF = find("cosf"), SINF = find("sinf"), TANHF = find("tanhf"), EXPF = find("expf");

    private CMath() {
    }

    private static MethodHandle find(String name) {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find(name)
                    .map(s -> linker.downcallHandle(s, FunctionDescriptor.of(ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT), Linker.Option.critical(false)))
                    .orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    private static float call(MethodHandle h, float x, double fallback) {
        if (h == null) return (float) fallback;
        try {
            return (float) h.invokeExact(x);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** libm's cosf. */
    public static float cos(float x) {
        return call(COSF, x, COSF == null ? Math.cos(x) : 0);
    }

    /** libm's sinf. */
    public static float sin(float x) {
        return call(SINF, x, SINF == null ? Math.sin(x) : 0);
    }

    /** libm's tanhf. */
    public static float tanh(float x) {
        return call(TANHF, x, TANHF == null ? Math.tanh(x) : 0);
    }

    /** libm's expf. */
    public static float exp(float x) {
        return call(EXPF, x, EXPF == null ? Math.exp(x) : 0);
    }
}
