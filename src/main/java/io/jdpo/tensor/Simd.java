package io.jdpo.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Which vector width the kernels use, chosen once per JVM. By default the machine's preferred
 * width (128 bits on NEON, 256 on AVX2, 512 on AVX-512); {@code -Djdpo.simd=scalar} runs
 * every kernel on its scalar reference instead, and {@code -Djdpo.simd.bits=128|256|512}
 * forces a width (the tests run each width in its own JVM this way; a width wider than the
 * hardware's is emulated by the JDK, slowly but with the same results).
 * <p>
 * Every kernel is written against these species rather than a fixed size, so that no width
 * is assumed: a machine with 128-bit vectors has 4 float lanes, and a byte vector of 4 lanes
 * (32 bits) does not exist, so byte inputs are always loaded at least 64 bits at a time.
 */
public final class Simd {
    /** False when the scalar references run instead of the Vector API kernels. */
    public static final boolean VECTOR;
    /** Float lanes of one vector. */
    static final VectorSpecies<Float> F;
    /** Int lanes of one vector (as many as float lanes). */
    static final VectorSpecies<Integer> I;
    /** Short lanes of one vector. */
    static final VectorSpecies<Short> S;
    /** Byte lanes of one vector. */
    static final VectorSpecies<Byte> B;
    /** Bytes that widen to whole float vectors: max(64 bits, one byte per float lane). */
    static final VectorSpecies<Byte> B_FOR_F;
    private static final String SETTING_PROBLEM;

    static {
        String mode = System.getProperty("jdpo.simd", "vector");
        String bits = System.getProperty("jdpo.simd.bits");
        // A bad setting is reported by check(), with the rest of the start-up errors, as one line.
        String problem = null;
        if (!mode.equals("vector") && !mode.equals("scalar")) problem = "-Djdpo.simd must be 'vector' or 'scalar', not '" + mode + "'";
        VectorShape shape = shapeOf(bits);
        if (shape == null) {
            problem = "-Djdpo.simd.bits must be 128, 256 or 512, not '" + bits + "'";
            shape = VectorShape.preferredShape();
        }
        SETTING_PROBLEM = problem;
        VECTOR = mode.equals("vector");
        F = FloatVector.SPECIES_PREFERRED.withShape(shape);
        I = IntVector.SPECIES_PREFERRED.withShape(shape);
        S = ShortVector.SPECIES_PREFERRED.withShape(shape);
        B = ByteVector.SPECIES_PREFERRED.withShape(shape);
        B_FOR_F = ByteVector.SPECIES_64.withShape(VectorShape.forBitSize(Math.max(64, F.length() * 8)));
    }

    private Simd() {
    }

    /** The shape named by -Djdpo.simd.bits (the preferred one when unset), null when it names none. */
    private static VectorShape shapeOf(String bits) {
        if (bits == null) return VectorShape.preferredShape();
        return switch (bits) {
            case "128" -> VectorShape.S_128_BIT;
            case "256" -> VectorShape.S_256_BIT;
            case "512" -> VectorShape.S_512_BIT;
            default -> null;
        };
    }

    /**
     * One line for logs and errors.
     *
     * @return e.g. "256-bit vectors (8 float lanes)", or "scalar kernels (-Djdpo.simd=scalar)"
     */
    public static String describe() {
        return VECTOR ? F.vectorBitSize() + "-bit vectors (" + F.length() + " float lanes)" : "scalar kernels (-Djdpo.simd=scalar)";
    }

    /**
     * Touches every kernel class once, so that a JVM without a usable Vector API fails here
     * with one line naming the cause and the way out, instead of deep inside a forward.
     */
    public static void check() {
        if (SETTING_PROBLEM != null) throw new IllegalArgumentException(SETTING_PROBLEM);
        if (!VECTOR) return;
        try {
            float[] y = new float[32];
            VectorOps.scale(new byte[32], 0, y, 0, 32, 1f);
            float[] c = new float[1];
            PackedGemm.ab(new float[1], 0, 1, 1, new float[1], 0, 1, 1, 1, c, 0, 1, false);
        } catch (LinkageError | RuntimeException e) {
            // A JVM whose vector unit lacks a shape the kernels use fails in a static initializer;
            // the root cause (e.g. "Bad vector bit-size") is what the user can act on.
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            throw new IllegalStateException("the Java engine cannot start with " + describe() + ": " + root
                    + " (run with -Djdpo.simd=scalar to use the scalar kernels)", e);
        }
    }
}
