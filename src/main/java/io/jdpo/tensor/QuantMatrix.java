package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix as stored in GGUF ({@code rows} = n_out rows of {@code cols} = n_in values,
 * any supported type), read in place from the mapped file. Products decode a few rows at a
 * time and use each decoded row for every token, so no tensor is ever dequantized whole.
 */
public final class QuantMatrix {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Rows decoded together: each activation load then feeds this many FMAs. */
    private static final int ROWS = 4;

    private final String name;
    private final GgmlType type;
    private final MemorySegment data;
    private final int rows;
    private final int cols;
    private final long rowBytes;

    public QuantMatrix(String name, GgmlType type, MemorySegment data, int cols, int rows) {
        if (!Dequantizer.supports(type)) throw new UnsupportedTypeException(name, type);
        this.name = name;
        this.type = type;
        this.cols = cols;
        this.rows = rows;
        this.rowBytes = type.bytesFor(cols);
        if (data.byteSize() != rowBytes * rows) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes for " + rows + " rows of " + rowBytes);
        }
        this.data = data;
    }

    public String name() { return name; }
    public GgmlType type() { return type; }
    public int rows() { return rows; }
    public int cols() { return cols; }

    /** Row r as floats. */
    public void decodeRow(int r, float[] out, int off) {
        Dequantizer.dequantize(type, data.asSlice(r * rowBytes, rowBytes), out, off, cols);
    }

    /**
     * y[t][r] = Σ_i W[r][i] · x[t][i] for t &lt; tokens (x is tokens × cols, y is tokens × rows).
     * For F16 and BF16 weights the activations are first rounded to that type, as llama.cpp's
     * CPU backend does (its vec_dot_type), so both engines multiply the same numbers.
     */
    public void matmul(float[] input, int tokens, float[] y, Parallel par) {
        float[] x = ActivationRounding.forWeights(type, input, tokens * cols);
        par.forRange(rows, ROWS, (r0, r1) -> {
            float[] w = new float[ROWS * cols];
            for (int r = r0; r < r1; r += ROWS) {
                int n = Math.min(ROWS, r1 - r);
                for (int k = 0; k < n; k++) decodeRow(r + k, w, k * cols);
                if (n == ROWS) {
                    for (int t = 0; t < tokens; t++) dot4(w, x, t * cols, y, t * rows + r);
                } else {
                    for (int k = 0; k < n; k++) {
                        for (int t = 0; t < tokens; t++) y[t * rows + r + k] = dot(w, k * cols, x, t * cols, cols);
                    }
                }
            }
        });
    }

    /** Scalar reference of {@link #matmul}: decode with the scalar path, accumulate in double. */
    public void matmulScalar(float[] input, int tokens, float[] y) {
        float[] x = ActivationRounding.forWeights(type, input, tokens * cols);
        float[] w = new float[cols];
        for (int r = 0; r < rows; r++) {
            Dequantizer.dequantizeScalar(type, data.asSlice(r * rowBytes, rowBytes), w, 0, cols);
            for (int t = 0; t < tokens; t++) {
                double s = 0;
                for (int i = 0; i < cols; i++) s += (double) w[i] * x[t * cols + i];
                y[t * rows + r] = (float) s;
            }
        }
    }

    /** Four rows of w against one activation row: out[0..3] at yOff. */
    private void dot4(float[] w, float[] x, int xOff, float[] y, int yOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0, bound = F.loopBound(cols);
        for (; i < bound; i += F.length()) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
            a0 = FloatVector.fromArray(F, w, i).fma(xv, a0);
            a1 = FloatVector.fromArray(F, w, cols + i).fma(xv, a1);
            a2 = FloatVector.fromArray(F, w, 2 * cols + i).fma(xv, a2);
            a3 = FloatVector.fromArray(F, w, 3 * cols + i).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            float xv = x[xOff + i];
            s0 += w[i] * xv;
            s1 += w[cols + i] * xv;
            s2 += w[2 * cols + i] * xv;
            s3 += w[3 * cols + i] * xv;
        }
        y[yOff] = s0;
        y[yOff + 1] = s1;
        y[yOff + 2] = s2;
        y[yOff + 3] = s3;
    }

    /** Σ a[ao + i] · b[bo + i] for i &lt; n. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0, bound = F.loopBound(n);
        for (; i < bound; i += F.length()) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }
}
