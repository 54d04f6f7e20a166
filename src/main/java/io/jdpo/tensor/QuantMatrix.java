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
    /** Rows decoded together into a panel that stays in L2 while every token passes over it. */
    private static final int PANEL = 16;
    /** Activations of one token block: about a third of a 512 KiB L2. */
    private static final int TOKEN_BLOCK_BYTES = 160 * 1024;

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
        par.forRange(rows, PANEL, (r0, r1) -> {
            float[] w = new float[PANEL * cols];
            for (int p = r0; p < r1; p += PANEL) {
                int n = Math.min(PANEL, r1 - p);
                for (int k = 0; k < n; k++) decodeRow(p + k, w, k * cols);
                panel(w, n, x, tokens, y, p);
            }
        });
    }

    /**
     * Multiplies a decoded panel of n rows (in L2) with every token. Tokens go in blocks
     * whose activations fit in L2 too; within a block each group of 4 rows (in L1) meets
     * every token pair in a 4×2 register tile (8 accumulators, 6 loads per 8 FMAs).
     */
    private void panel(float[] w, int n, float[] x, int tokens, float[] y, int row0) {
        int block = Math.max(2, (TOKEN_BLOCK_BYTES / (cols * Float.BYTES)) & ~1);
        for (int tb = 0; tb < tokens; tb += block) {
            int te = Math.min(tokens, tb + block);
            int r = 0;
            for (; r + 4 <= n; r += 4) {
                int t = tb;
                for (; t + 2 <= te; t += 2) tile4x2(w, r * cols, x, t * cols, cols, y, t * rows + row0 + r, rows);
                for (; t < te; t++) {
                    for (int k = 0; k < 4; k++) y[t * rows + row0 + r + k] = VectorMath.dot(w, (r + k) * cols, x, t * cols, cols);
                }
            }
            for (; r < n; r++) {
                for (int t = tb; t < te; t++) y[t * rows + row0 + r] = VectorMath.dot(w, r * cols, x, t * cols, cols);
            }
        }
    }

    /**
     * Rows w[wo..] (4 of them, c apart) against tokens x[xo..] and x[xo + c..]; results to
     * y[yo..yo+3] (token t) and y[yo + ys..] (token t + 1). Static and allocation-free so the
     * JIT keeps all 8 accumulators and 6 operands in vector registers.
     */
    private static void tile4x2(float[] w, int wo, float[] x, int xo, int c, float[] y, int yo, int ys) {
        FloatVector a00 = FloatVector.zero(F), a10 = a00, a20 = a00, a30 = a00;
        FloatVector a01 = a00, a11 = a00, a21 = a00, a31 = a00;
        int i = 0, bound = F.loopBound(c);
        for (; i < bound; i += F.length()) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + i), x1 = FloatVector.fromArray(F, x, xo + c + i);
            FloatVector w0 = FloatVector.fromArray(F, w, wo + i), w1 = FloatVector.fromArray(F, w, wo + c + i);
            FloatVector w2 = FloatVector.fromArray(F, w, wo + 2 * c + i), w3 = FloatVector.fromArray(F, w, wo + 3 * c + i);
            a00 = w0.fma(x0, a00); a10 = w1.fma(x0, a10); a20 = w2.fma(x0, a20); a30 = w3.fma(x0, a30);
            a01 = w0.fma(x1, a01); a11 = w1.fma(x1, a11); a21 = w2.fma(x1, a21); a31 = w3.fma(x1, a31);
        }
        y[yo] = a00.reduceLanes(VectorOperators.ADD);
        y[yo + 1] = a10.reduceLanes(VectorOperators.ADD);
        y[yo + 2] = a20.reduceLanes(VectorOperators.ADD);
        y[yo + 3] = a30.reduceLanes(VectorOperators.ADD);
        y[yo + ys] = a01.reduceLanes(VectorOperators.ADD);
        y[yo + ys + 1] = a11.reduceLanes(VectorOperators.ADD);
        y[yo + ys + 2] = a21.reduceLanes(VectorOperators.ADD);
        y[yo + ys + 3] = a31.reduceLanes(VectorOperators.ADD);
        for (; i < c; i++) {
            float x0 = x[xo + i], x1 = x[xo + c + i];
            for (int k = 0; k < 4; k++) {
                y[yo + k] += w[wo + k * c + i] * x0;
                y[yo + ys + k] += w[wo + k * c + i] * x1;
            }
        }
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
}
