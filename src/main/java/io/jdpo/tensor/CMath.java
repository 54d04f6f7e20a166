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

    private static float call(MethodHandle h, float x, java.util.function.DoubleUnaryOperator fallback) {
        if (h == null) return (float) fallback.applyAsDouble(x);
        try {
            return (float) h.invokeExact(x);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * libm's cosf.
     *
     * @param x radians
     * @return cosf(x)
     */
    public static float cos(float x) {
        return call(COSF, x, Math::cos);
    }

    /**
     * libm's sinf.
     *
     * @param x radians
     * @return sinf(x)
     */
    public static float sin(float x) {
        return call(SINF, x, Math::sin);
    }

    /**
     * libm's tanhf.
     *
     * @param x the argument
     * @return tanhf(x)
     */
    public static float tanh(float x) {
        return call(TANHF, x, Math::tanh);
    }

    /**
     * libm's expf.
     *
     * @param x the exponent
     * @return expf(x)
     */
    public static float exp(float x) {
        return call(EXPF, x, Math::exp);
    }
}
