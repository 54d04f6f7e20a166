package io.jdpo.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one dense kernel: dot products of every row of A with every row of B, both stored
 * with their k values contiguous ("A·Bᵀ"). Weight panels, attention scores and attention
 * outputs are all this shape.
 */
public final class Gemm {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Rows of A per block: their values stay in L2 while B's rows pass over them. */
    private static final int A_BLOCK_BYTES = 160 * 1024;

    private Gemm() {
    }

    /** Contiguous rows: a is aRows × k, b is bRows × k; results to c[i·ldc + c0 + j]. */
    public static void rowDots(float[] a, int aRows, float[] b, int bRows, int k, float[] c, int c0, int ldc) {
        rowDots(a, 0, k, aRows, b, 0, k, bRows, k, c, c0, ldc);
    }

    /**
     * c[c0 + i·ldc + j] = Σ_{q<k} a[ao + i·lda + q] · b[bo + j·ldb + q]. B's rows (a weight
     * panel, keys) stay in L1 in groups of 4 while A's rows (tokens, queries) pass in pairs: a
     * 4×2 register tile, 8 accumulators and 6 loads per 8 FMAs. A is walked in blocks that
     * fit in L2.
     */
    public static void rowDots(float[] a, int ao, int lda, int aRows, float[] b, int bo, int ldb, int bRows, int k,
                               float[] c, int c0, int ldc) {
        int block = Math.max(2, (A_BLOCK_BYTES / (k * Float.BYTES)) & ~1);
        for (int ib = 0; ib < aRows; ib += block) {
            int ie = Math.min(aRows, ib + block);
            int j = 0;
            for (; j + 4 <= bRows; j += 4) {
                int i = ib;
                for (; i + 2 <= ie; i += 2) {
                    tile4x2(b, bo + j * ldb, ldb, a, ao + i * lda, lda, k, c, c0 + i * ldc + j, ldc);
                }
                for (; i < ie; i++) {
                    for (int q = 0; q < 4; q++) c[c0 + i * ldc + j + q] = VectorMath.dot(b, bo + (j + q) * ldb, a, ao + i * lda, k);
                }
            }
            for (; j < bRows; j++) {
                for (int i = ib; i < ie; i++) c[c0 + i * ldc + j] = VectorMath.dot(b, bo + j * ldb, a, ao + i * lda, k);
            }
        }
    }

    /** Scalar reference of {@link #rowDots}. */
    public static void rowDotsScalar(float[] a, int ao, int lda, int aRows, float[] b, int bo, int ldb, int bRows, int k,
                                     float[] c, int c0, int ldc) {
        for (int i = 0; i < aRows; i++) {
            for (int j = 0; j < bRows; j++) c[c0 + i * ldc + j] = VectorMath.dotScalar(b, bo + j * ldb, a, ao + i * lda, k);
        }
    }

    /**
     * Rows w[wo..] (4 of them, lw apart) against rows x[xo..] and x[xo + lx..], c values each;
     * results to y[yo..yo+3] and y[yo + ys..yo + ys + 3]. Static and allocation-free so the
     * JIT keeps all 8 accumulators and 6 operands in vector registers.
     */
    private static void tile4x2(float[] w, int wo, int lw, float[] x, int xo, int lx, int c, float[] y, int yo, int ys) {
        FloatVector a00 = FloatVector.zero(F), a10 = a00, a20 = a00, a30 = a00;
        FloatVector a01 = a00, a11 = a00, a21 = a00, a31 = a00;
        int i = 0, bound = F.loopBound(c);
        for (; i < bound; i += F.length()) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + i), x1 = FloatVector.fromArray(F, x, xo + lx + i);
            FloatVector w0 = FloatVector.fromArray(F, w, wo + i), w1 = FloatVector.fromArray(F, w, wo + lw + i);
            FloatVector w2 = FloatVector.fromArray(F, w, wo + 2 * lw + i), w3 = FloatVector.fromArray(F, w, wo + 3 * lw + i);
            a00 = w0.fma(x0, a00); a10 = w1.fma(x0, a10); a20 = w2.fma(x0, a20); a30 = w3.fma(x0, a30);
            a01 = w0.fma(x1, a01); a11 = w1.fma(x1, a11); a21 = w2.fma(x1, a21); a31 = w3.fma(x1, a31);
        }
        y[yo] = VectorMath.sum(a00);
        y[yo + 1] = VectorMath.sum(a10);
        y[yo + 2] = VectorMath.sum(a20);
        y[yo + 3] = VectorMath.sum(a30);
        y[yo + ys] = VectorMath.sum(a01);
        y[yo + ys + 1] = VectorMath.sum(a11);
        y[yo + ys + 2] = VectorMath.sum(a21);
        y[yo + ys + 3] = VectorMath.sum(a31);
        for (; i < c; i++) {
            float x0 = x[xo + i], x1 = x[xo + lx + i];
            for (int k = 0; k < 4; k++) {
                y[yo + k] += w[wo + k * lw + i] * x0;
                y[yo + ys + k] += w[wo + k * lw + i] * x1;
            }
        }
    }

    /**
     * The transposed product the backward pass needs, accumulating:
     * dx[t·ldx + x0 + i] += Σ_{k&lt;n} dy[t·ldy + y0 + k] · w[k·width + i] for t &lt; tokens, i &lt; width.
     * w is a decoded panel of n weight rows (a column slice of width values each). Four tokens'
     * slices of dx stay in registers while the panel's rows stream past: 1 load and 4
     * broadcasts per 4 FMAs, and every dx value is read and written once per panel.
     */
    public static void rowsTimesPanel(float[] dy, int y0, int ldy, int tokens, float[] w, int n, int width,
                                      float[] dx, int x0, int ldx) {
        int t = 0, L = F.length(), bound = F.loopBound(width);
        for (; t + 4 <= tokens; t += 4) {
            int r0 = t * ldy + y0, r1 = r0 + ldy, r2 = r1 + ldy, r3 = r2 + ldy;
            int o0 = t * ldx + x0, o1 = o0 + ldx, o2 = o1 + ldx, o3 = o2 + ldx;
            int i = 0;
            for (; i < bound; i += L) {
                FloatVector c0 = FloatVector.fromArray(F, dx, o0 + i), c1 = FloatVector.fromArray(F, dx, o1 + i);
                FloatVector c2 = FloatVector.fromArray(F, dx, o2 + i), c3 = FloatVector.fromArray(F, dx, o3 + i);
                for (int k = 0; k < n; k++) {
                    FloatVector wv = FloatVector.fromArray(F, w, k * width + i);
                    c0 = wv.fma(FloatVector.broadcast(F, dy[r0 + k]), c0);
                    c1 = wv.fma(FloatVector.broadcast(F, dy[r1 + k]), c1);
                    c2 = wv.fma(FloatVector.broadcast(F, dy[r2 + k]), c2);
                    c3 = wv.fma(FloatVector.broadcast(F, dy[r3 + k]), c3);
                }
                c0.intoArray(dx, o0 + i);
                c1.intoArray(dx, o1 + i);
                c2.intoArray(dx, o2 + i);
                c3.intoArray(dx, o3 + i);
            }
            for (; i < width; i++) {
                for (int k = 0; k < n; k++) {
                    float wk = w[k * width + i];
                    dx[o0 + i] += dy[r0 + k] * wk;
                    dx[o1 + i] += dy[r1 + k] * wk;
                    dx[o2 + i] += dy[r2 + k] * wk;
                    dx[o3 + i] += dy[r3 + k] * wk;
                }
            }
        }
        for (; t < tokens; t++) {
            for (int k = 0; k < n; k++) VectorMath.axpy(dy[t * ldy + y0 + k], w, k * width, dx, t * ldx + x0, width);
        }
    }

    /** Scalar reference of {@link #rowsTimesPanel}. */
    public static void rowsTimesPanelScalar(float[] dy, int y0, int ldy, int tokens, float[] w, int n, int width,
                                            float[] dx, int x0, int ldx) {
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < width; i++) {
                float s = dx[t * ldx + x0 + i];
                for (int k = 0; k < n; k++) s += dy[t * ldy + y0 + k] * w[k * width + i];
                dx[t * ldx + x0 + i] = s;
            }
        }
    }
}
