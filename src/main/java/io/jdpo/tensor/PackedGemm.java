package io.jdpo.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix products on packed strips of B, the kernels of the forward's and the backward's
 * projections. B is repacked, one reduction block at a time, into strips of {@link #STRIP}
 * output columns laid out k-major, and A's block into micro-panels of a tile's rows, also
 * k-major, so the micro-kernel reads two vectors of B and broadcasts six (eight with 512-bit
 * vectors) values of A per step: a 6 × STRIP tile of C in twelve vector registers (8 × STRIP in
 * sixteen), and no horizontal reductions (each lane is its own output). A block of B
 * (KB × STRIP floats, 16 KiB with 256-bit vectors) stays in L1 while all rows of A pass.
 * Every output is one fma chain over k in order, whatever the tile, so results are the same on
 * every run and at every tiling.
 *
 * <p>All matrices are row-major float arrays addressed by an offset and a leading dimension
 * (the distance in floats between the starts of two rows), so a product can read or write a
 * sub-matrix of a larger array. C must not overlap A or B. Without a usable vector width
 * ({@link Simd#VECTOR} false) the products run the scalar references, whose sums are not fused
 * multiply-adds, so their last bits can differ from the vector path's.
 *
 * <p>Thread-safe: the packing buffers are per thread, so any number of threads may run products
 * at once on disjoint outputs.
 */
public final class PackedGemm {
    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = F.length();
    /**
     * True where the vectors are 512 bits wide, so the CPU has AVX-512's 32 vector registers:
     * the register tile is then eight rows of A (sixteen accumulators, 10 loads per 16 FMAs),
     * else six (twelve, 8 loads per 12 FMAs: AVX2 has 16 registers).
     */
    private static final boolean WIDE = L >= 16;
    /** Output columns per packed strip: two vectors of the running {@link Simd#F} width (16 floats with AVX2). */
    public static final int STRIP = 2 * L;
    /** Reduction depth per packed block, in floats: sums over k are done in blocks of this many. */
    public static final int KB = 256;
    /** The packed block of B (at most KB × STRIP floats): one per thread, reused by every call. */
    private static final ScratchBuffer<float[]> PACKED = ScratchBuffer.floats();
    /** The packed block of A (M × KB floats, rounded up to whole tiles, in micro-panels): one per thread. */
    private static final ScratchBuffer<float[]> PACKED_A = ScratchBuffer.floats();
    /** Rows of A per register tile. */
    private static final int TILE = WIDE ? 8 : 6;
    /** A partial strip of C; the last rows of A and C, padded to a whole tile. */
    private static final ScratchBuffer<float[]> PARTIAL = ScratchBuffer.floats(), PAD_C = ScratchBuffer.floats();

    private PackedGemm() {
    }

    /**
     * C[M×N] (+)= A[M×K] · B[K×N], all row-major with leading dimensions lda, ldb, ldc.
     *
     * @param a          holds A
     * @param ao         index of A[0][0] in {@code a}
     * @param lda        row stride of A in floats (≥ K)
     * @param M          rows of A and of C
     * @param b          holds B
     * @param bo         index of B[0][0] in {@code b}
     * @param ldb        row stride of B in floats (≥ N)
     * @param K          the reduction length: columns of A, rows of B
     * @param N          columns of B and of C
     * @param c          receives C
     * @param co         index of C[0][0] in {@code c}
     * @param ldc        row stride of C in floats (≥ N)
     * @param accumulate true to add the product to C's current values, false to overwrite them
     */
    public static void ab(float[] a, int ao, int lda, int M, float[] b, int bo, int ldb, int K, int N,
                          float[] c, int co, int ldc, boolean accumulate) {
        product(a, ao, lda, false, M, b, bo, ldb, false, K, N, c, co, ldc, accumulate);
    }

    /**
     * C[M×N] (+)= A[M×K] · Bᵀ where B is N×K row-major (weight rows, as GGUF stores them).
     *
     * @param a          holds A
     * @param ao         index of A[0][0] in {@code a}
     * @param lda        row stride of A in floats (≥ K)
     * @param M          rows of A and of C
     * @param b          holds B, one row of K values per output column
     * @param bo         index of B[0][0] in {@code b}
     * @param ldb        row stride of B in floats (≥ K)
     * @param K          the reduction length: columns of A and of B
     * @param N          rows of B, columns of C
     * @param c          receives C
     * @param co         index of C[0][0] in {@code c}
     * @param ldc        row stride of C in floats (≥ N)
     * @param accumulate true to add the product to C's current values, false to overwrite them
     */
    public static void abT(float[] a, int ao, int lda, int M, float[] b, int bo, int ldb, int K, int N,
                           float[] c, int co, int ldc, boolean accumulate) {
        product(a, ao, lda, false, M, b, bo, ldb, true, K, N, c, co, ldc, accumulate);
    }

    /**
     * C[M×N] (+)= Aᵀ · B where A is K×M row-major (attention's backward: a score block's
     * transpose times the query rows). A's block is packed straight from its rows, each step's
     * tile of values a contiguous run, so A is never transposed first.
     *
     * @param a          holds A, K rows of M values
     * @param ao         index of A[0][0] in {@code a}
     * @param lda        row stride of A in floats (≥ M)
     * @param M          columns of A, rows of C
     * @param b          holds B
     * @param bo         index of B[0][0] in {@code b}
     * @param ldb        row stride of B in floats (≥ N)
     * @param K          the reduction length: rows of A and of B
     * @param N          columns of B and of C
     * @param c          receives C
     * @param co         index of C[0][0] in {@code c}
     * @param ldc        row stride of C in floats (≥ N)
     * @param accumulate true to add the product to C's current values, false to overwrite them
     */
    public static void aTb(float[] a, int ao, int lda, int M, float[] b, int bo, int ldb, int K, int N,
                           float[] c, int co, int ldc, boolean accumulate) {
        product(a, ao, lda, true, M, b, bo, ldb, false, K, N, c, co, ldc, accumulate);
    }

    /** The three products: they differ only in how a block of A or B is packed. */
    private static void product(float[] a, int ao, int lda, boolean aTransposed, int M, float[] b, int bo, int ldb, boolean bTransposed,
                                int K, int N, float[] c, int co, int ldc, boolean accumulate) {
        if (!Simd.VECTOR) {
            if (aTransposed) aTbScalar(a, ao, lda, M, b, bo, ldb, K, N, c, co, ldc, accumulate);
            else if (bTransposed) abTScalar(a, ao, lda, M, b, bo, ldb, K, N, c, co, ldc, accumulate);
            else abScalar(a, ao, lda, M, b, bo, ldb, K, N, c, co, ldc, accumulate);
            return;
        }
        float[] bp = PACKED.get(KB * STRIP);
        if (WIDE && N <= L && !aTransposed) {
            narrow(a, ao, lda, M, b, bo, ldb, bTransposed, K, N, bp, c, co, ldc, accumulate);
            return;
        }
        int tiles = (M + TILE - 1) / TILE;
        float[] ap = PACKED_A.get(tiles * TILE * KB);
        // k-blocks outside, strips inside: the block of A (M × KB), packed once, is reused by every strip while it sits in L2.
        for (int k0 = 0; k0 < K; k0 += KB) {
            int kb = Math.min(KB, K - k0);
            if (aTransposed) packATransposed(a, ao + k0 * lda, lda, M, tiles, kb, ap);
            else packA(a, ao + k0, lda, M, tiles, kb, ap);
            for (int j0 = 0; j0 < N; j0 += STRIP) {
                int n = Math.min(STRIP, N - j0);
                if (bTransposed) packTransposed(b, bo, ldb, k0, kb, j0, n, bp);
                else pack(b, bo, ldb, k0, kb, j0, n, bp);
                strip(ap, M, bp, kb, c, co + j0, ldc, n, accumulate || k0 > 0);
            }
        }
    }

    /**
     * A product one vector wide (N ≤ L: the LoRA backward's dy·B at rank 16). It has one strip,
     * so packing A's block buys no reuse and took half its time, and a strip of two vectors
     * would leave half the lanes idle: A is read in place, eight rows a step, against one
     * vector of B. Every output is still one fused chain over k in order, as in {@link #tile8}.
     */
    private static void narrow(float[] a, int ao, int lda, int M, float[] b, int bo, int ldb, boolean bTransposed, int K, int N,
                               float[] bp, float[] c, int co, int ldc, boolean accumulate) {
        // Outputs in a buffer a vector wide when N < L, so the kernel never needs masks.
        float[] out = c;
        int oo = co, ldo = ldc;
        if (N < L) {
            out = PARTIAL.get(M * L);
            oo = 0;
            ldo = L;
            if (accumulate) for (int i = 0; i < M; i++) System.arraycopy(c, co + i * ldc, out, i * L, N);
        }
        for (int k0 = 0; k0 < K; k0 += KB) {
            int kb = Math.min(KB, K - k0);
            if (bTransposed) packTransposed(b, bo, ldb, k0, kb, 0, N, bp);
            else pack(b, bo, ldb, k0, kb, 0, N, bp);
            boolean add = accumulate || k0 > 0;
            int i = 0;
            for (; i + 8 <= M; i += 8) narrow8(a, ao + i * lda + k0, lda, bp, kb, out, oo + i * ldo, ldo, add);
            for (; i < M; i++) narrow1(a, ao + i * lda + k0, bp, kb, out, oo + i * ldo, add);
        }
        if (N < L) for (int i = 0; i < M; i++) System.arraycopy(out, i * L, c, co + i * ldc, N);
    }

    /** Eight rows of A (from a0, lda apart) against bp's first vector: eight accumulators. */
    private static void narrow8(float[] a, int a0, int lda, float[] bp, int kb, float[] c, int c0, int ldc, boolean accumulate) {
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda;
        int r1 = c0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc, r6 = r5 + ldc, r7 = r6 + ldc;
        FloatVector x0, x1, x2, x3, x4, x5, x6, x7;
        if (accumulate) {
            x0 = FloatVector.fromArray(F, c, c0); x1 = FloatVector.fromArray(F, c, r1);
            x2 = FloatVector.fromArray(F, c, r2); x3 = FloatVector.fromArray(F, c, r3);
            x4 = FloatVector.fromArray(F, c, r4); x5 = FloatVector.fromArray(F, c, r5);
            x6 = FloatVector.fromArray(F, c, r6); x7 = FloatVector.fromArray(F, c, r7);
        } else {
            x0 = FloatVector.zero(F); x1 = x0; x2 = x0; x3 = x0; x4 = x0; x5 = x0; x6 = x0; x7 = x0;
        }
        for (int k = 0; k < kb; k++) {
            FloatVector v = FloatVector.fromArray(F, bp, k * STRIP);
            x0 = v.fma(FloatVector.broadcast(F, a[a0 + k]), x0);
            x1 = v.fma(FloatVector.broadcast(F, a[a1 + k]), x1);
            x2 = v.fma(FloatVector.broadcast(F, a[a2 + k]), x2);
            x3 = v.fma(FloatVector.broadcast(F, a[a3 + k]), x3);
            x4 = v.fma(FloatVector.broadcast(F, a[a4 + k]), x4);
            x5 = v.fma(FloatVector.broadcast(F, a[a5 + k]), x5);
            x6 = v.fma(FloatVector.broadcast(F, a[a6 + k]), x6);
            x7 = v.fma(FloatVector.broadcast(F, a[a7 + k]), x7);
        }
        x0.intoArray(c, c0); x1.intoArray(c, r1); x2.intoArray(c, r2); x3.intoArray(c, r3);
        x4.intoArray(c, r4); x5.intoArray(c, r5); x6.intoArray(c, r6); x7.intoArray(c, r7);
    }

    /** One row of A against bp's first vector (the rows after the last eight). */
    private static void narrow1(float[] a, int a0, float[] bp, int kb, float[] c, int c0, boolean accumulate) {
        FloatVector x = accumulate ? FloatVector.fromArray(F, c, c0) : FloatVector.zero(F);
        for (int k = 0; k < kb; k++) x = FloatVector.fromArray(F, bp, k * STRIP).fma(FloatVector.broadcast(F, a[a0 + k]), x);
        x.intoArray(c, c0);
    }

    /**
     * ap = A's block (M × kb) as {@code tiles} micro-panels of {@link #TILE} rows, k-major within
     * each (ap[t·TILE·kb + k·TILE + r] = A[t·TILE + r][k]), the last one padded with zero rows. The
     * tile then reads a step's values of A from one cache line instead of from TILE rows, which
     * a power of two apart (dy of a 1024-row product: 4 KiB) all fall in one set of the L1
     * cache: the Q6_K 1024 × 2816 transposed product on one thread ran 15% faster packed.
     */
    private static void packA(float[] a, int ao, int lda, int M, int tiles, int kb, float[] ap) {
        for (int t = 0; t < tiles; t++) {
            int base = t * TILE * kb;
            for (int r = 0; r < TILE; r++) {
                int row = t * TILE + r;
                if (row >= M) {
                    for (int k = 0; k < kb; k++) ap[base + k * TILE + r] = 0f;
                    continue;
                }
                int src = ao + row * lda;
                for (int k = 0; k < kb; k++) ap[base + k * TILE + r] = a[src + k];
            }
        }
    }

    /**
     * {@link #packA}'s panels of Aᵀ when A is stored K × M (from a[ao], its block's first row,
     * lda apart): a step's TILE values are one contiguous run of a row of A.
     */
    private static void packATransposed(float[] a, int ao, int lda, int M, int tiles, int kb, float[] ap) {
        for (int t = 0; t < tiles; t++) {
            int base = t * TILE * kb, i0 = t * TILE, rows = Math.min(TILE, M - i0);
            if (rows == TILE) {
                for (int k = 0, src = ao + i0, dst = base; k < kb; k++, src += lda, dst += TILE) System.arraycopy(a, src, ap, dst, TILE);
                continue;
            }
            for (int k = 0; k < kb; k++) {
                int src = ao + k * lda + i0, dst = base + k * TILE;
                for (int r = 0; r < rows; r++) ap[dst + r] = a[src + r];
                for (int r = rows; r < TILE; r++) ap[dst + r] = 0f;
            }
        }
    }

    /** bp (kb × STRIP, zero past n) = B[k0..k0+kb)[j0..j0+n) with B row-major K × N. */
    private static void pack(float[] b, int bo, int ldb, int k0, int kb, int j0, int n, float[] bp) {
        for (int k = 0; k < kb; k++) {
            int src = bo + (k0 + k) * ldb + j0, dst = k * STRIP;
            System.arraycopy(b, src, bp, dst, n);
            if (n < STRIP) java.util.Arrays.fill(bp, dst + n, dst + STRIP, 0f);
        }
    }

    /** The same block when B is stored transposed (N × K row-major): a strided gather. */
    private static void packTransposed(float[] b, int bo, int ldb, int k0, int kb, int j0, int n, float[] bp) {
        if (n < STRIP) java.util.Arrays.fill(bp, 0, kb * STRIP, 0f);
        for (int j = 0; j < n; j++) {
            int src = bo + (j0 + j) * ldb + k0;
            for (int k = 0; k < kb; k++) bp[k * STRIP + j] = b[src + k];
        }
    }

    /**
     * Scalar reference of {@link #ab}: one plain (unfused) sum per output, k in order.
     *
     * @param a          holds A
     * @param ao         index of A[0][0] in {@code a}
     * @param lda        row stride of A in floats (≥ K)
     * @param M          rows of A and of C
     * @param b          holds B
     * @param bo         index of B[0][0] in {@code b}
     * @param ldb        row stride of B in floats (≥ N)
     * @param K          the reduction length: columns of A, rows of B
     * @param N          columns of B and of C
     * @param c          receives C
     * @param co         index of C[0][0] in {@code c}
     * @param ldc        row stride of C in floats (≥ N)
     * @param accumulate true to add the product to C's current values, false to overwrite them
     */
    public static void abScalar(float[] a, int ao, int lda, int M, float[] b, int bo, int ldb, int K, int N,
                                float[] c, int co, int ldc, boolean accumulate) {
        scalar(a, ao, lda, 1, M, b, bo, ldb, 1, K, N, c, co, ldc, accumulate);
    }

    /**
     * The scalar references' one loop: A[i][k] at a[ao + i·ai + k·ak], B[k][j] at b[bo + k·bk + j·bj],
     * one plain (unfused) sum per output, k in order.
     */
    private static void scalar(float[] a, int ao, int ai, int ak, int M, float[] b, int bo, int bk, int bj, int K, int N,
                               float[] c, int co, int ldc, boolean accumulate) {
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < N; j++) {
                float s = accumulate ? c[co + i * ldc + j] : 0;
                for (int k = 0; k < K; k++) s += a[ao + i * ai + k * ak] * b[bo + k * bk + j * bj];
                c[co + i * ldc + j] = s;
            }
        }
    }

    /**
     * Scalar reference of {@link #aTb}: one plain (unfused) sum per output, k in order.
     *
     * @param a          holds A, K rows of M values
     * @param ao         index of A[0][0] in {@code a}
     * @param lda        row stride of A in floats (≥ M)
     * @param M          columns of A, rows of C
     * @param b          holds B
     * @param bo         index of B[0][0] in {@code b}
     * @param ldb        row stride of B in floats (≥ N)
     * @param K          the reduction length: rows of A and of B
     * @param N          columns of B and of C
     * @param c          receives C
     * @param co         index of C[0][0] in {@code c}
     * @param ldc        row stride of C in floats (≥ N)
     * @param accumulate true to add the product to C's current values, false to overwrite them
     */
    public static void aTbScalar(float[] a, int ao, int lda, int M, float[] b, int bo, int ldb, int K, int N,
                                 float[] c, int co, int ldc, boolean accumulate) {
        scalar(a, ao, 1, lda, M, b, bo, ldb, 1, K, N, c, co, ldc, accumulate);
    }

    /**
     * Scalar reference of {@link #abT}: one plain (unfused) sum per output, k in order.
     *
     * @param a          holds A
     * @param ao         index of A[0][0] in {@code a}
     * @param lda        row stride of A in floats (≥ K)
     * @param M          rows of A and of C
     * @param b          holds B, one row of K values per output column
     * @param bo         index of B[0][0] in {@code b}
     * @param ldb        row stride of B in floats (≥ K)
     * @param K          the reduction length: columns of A and of B
     * @param N          rows of B, columns of C
     * @param c          receives C
     * @param co         index of C[0][0] in {@code c}
     * @param ldc        row stride of C in floats (≥ N)
     * @param accumulate true to add the product to C's current values, false to overwrite them
     */
    public static void abTScalar(float[] a, int ao, int lda, int M, float[] b, int bo, int ldb, int K, int N,
                                 float[] c, int co, int ldc, boolean accumulate) {
        scalar(a, ao, lda, 1, M, b, bo, 1, ldb, K, N, c, co, ldc, accumulate);
    }

    /** C[M × n] (+)= A[M × kb] · bp, ap A's packed block ({@link #packA}), bp B's (kb rows of STRIP values, zero past n). */
    private static void strip(float[] ap, int M, float[] bp, int kb, float[] c, int co, int ldc, int n,
                              boolean accumulate) {
        if (n < STRIP) {
            // A partial strip goes through a full-width buffer, so the kernel never needs masks.
            float[] tmp = PARTIAL.get(M * STRIP);
            if (accumulate) {
                for (int i = 0; i < M; i++) System.arraycopy(c, co + i * ldc, tmp, i * STRIP, n);
            }
            strip(ap, M, bp, kb, tmp, 0, STRIP, STRIP, accumulate);
            for (int i = 0; i < M; i++) System.arraycopy(tmp, i * STRIP, c, co + i * ldc, n);
            return;
        }
        int i = 0;
        for (; i + TILE <= M; i += TILE) tile(ap, i * kb, bp, kb, c, co + i * ldc, ldc, accumulate);
        if (i < M) {
            // The last rows' tile (A padded with zero rows) writes to a buffer: every output is
            // still one fma chain over k in order, so its bits do not depend on the tiling.
            int rows = M - i;
            float[] pc = PAD_C.get(TILE * STRIP);
            for (int r = 0; r < rows; r++) {
                if (accumulate) System.arraycopy(c, co + (i + r) * ldc, pc, r * STRIP, STRIP);
            }
            tile(ap, i * kb, bp, kb, pc, 0, STRIP, accumulate);
            for (int r = 0; r < rows; r++) System.arraycopy(pc, r * STRIP, c, co + (i + r) * ldc, STRIP);
        }
    }

    /** One register tile: rows [a0 / kb, a0 / kb + TILE) of A's packed block against bp. */
    private static void tile(float[] ap, int a0, float[] bp, int kb, float[] c, int c0, int ldc, boolean accumulate) {
        if (WIDE) tile8(ap, a0, bp, kb, c, c0, ldc, accumulate);
        else tile6(ap, a0, bp, kb, c, c0, ldc, accumulate);
    }

    /**
     * Eight rows of A against one packed block: sixteen accumulators, two B vectors and one
     * broadcast in AVX-512's 32 registers; 10 loads per 16 FMAs.
     */
    private static void tile8(float[] ap, int a0, float[] bp, int kb, float[] c, int c0, int ldc, boolean accumulate) {
        int r1 = c0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc, r6 = r5 + ldc, r7 = r6 + ldc;
        FloatVector x00, x01, x10, x11, x20, x21, x30, x31, x40, x41, x50, x51, x60, x61, x70, x71;
        if (accumulate) {
            x00 = FloatVector.fromArray(F, c, c0); x01 = FloatVector.fromArray(F, c, c0 + L);
            x10 = FloatVector.fromArray(F, c, r1); x11 = FloatVector.fromArray(F, c, r1 + L);
            x20 = FloatVector.fromArray(F, c, r2); x21 = FloatVector.fromArray(F, c, r2 + L);
            x30 = FloatVector.fromArray(F, c, r3); x31 = FloatVector.fromArray(F, c, r3 + L);
            x40 = FloatVector.fromArray(F, c, r4); x41 = FloatVector.fromArray(F, c, r4 + L);
            x50 = FloatVector.fromArray(F, c, r5); x51 = FloatVector.fromArray(F, c, r5 + L);
            x60 = FloatVector.fromArray(F, c, r6); x61 = FloatVector.fromArray(F, c, r6 + L);
            x70 = FloatVector.fromArray(F, c, r7); x71 = FloatVector.fromArray(F, c, r7 + L);
        } else {
            x00 = FloatVector.zero(F); x01 = x00;
            x10 = x00; x11 = x00;
            x20 = x00; x21 = x00;
            x30 = x00; x31 = x00;
            x40 = x00; x41 = x00;
            x50 = x00; x51 = x00;
            x60 = x00; x61 = x00;
            x70 = x00; x71 = x00;
        }
        for (int k = 0, at = a0; k < kb; k++, at += TILE) {
            FloatVector b0 = FloatVector.fromArray(F, bp, k * STRIP), b1 = FloatVector.fromArray(F, bp, k * STRIP + L);
            FloatVector s = FloatVector.broadcast(F, ap[at]);
            x00 = b0.fma(s, x00); x01 = b1.fma(s, x01);
            s = FloatVector.broadcast(F, ap[at + 1]);
            x10 = b0.fma(s, x10); x11 = b1.fma(s, x11);
            s = FloatVector.broadcast(F, ap[at + 2]);
            x20 = b0.fma(s, x20); x21 = b1.fma(s, x21);
            s = FloatVector.broadcast(F, ap[at + 3]);
            x30 = b0.fma(s, x30); x31 = b1.fma(s, x31);
            s = FloatVector.broadcast(F, ap[at + 4]);
            x40 = b0.fma(s, x40); x41 = b1.fma(s, x41);
            s = FloatVector.broadcast(F, ap[at + 5]);
            x50 = b0.fma(s, x50); x51 = b1.fma(s, x51);
            s = FloatVector.broadcast(F, ap[at + 6]);
            x60 = b0.fma(s, x60); x61 = b1.fma(s, x61);
            s = FloatVector.broadcast(F, ap[at + 7]);
            x70 = b0.fma(s, x70); x71 = b1.fma(s, x71);
        }
        x00.intoArray(c, c0); x01.intoArray(c, c0 + L);
        x10.intoArray(c, r1); x11.intoArray(c, r1 + L);
        x20.intoArray(c, r2); x21.intoArray(c, r2 + L);
        x30.intoArray(c, r3); x31.intoArray(c, r3 + L);
        x40.intoArray(c, r4); x41.intoArray(c, r4 + L);
        x50.intoArray(c, r5); x51.intoArray(c, r5 + L);
        x60.intoArray(c, r6); x61.intoArray(c, r6 + L);
        x70.intoArray(c, r7); x71.intoArray(c, r7 + L);
    }

    /**
     * Six rows of A against one packed block: twelve accumulators, two B vectors and one
     * broadcast fill 15 of AVX2's 16 vector registers; 8 loads per 12 FMAs. Each output is one
     * fma chain over k in order, as in {@link #tile8}, so the bits do not depend on the tile.
     */
    private static void tile6(float[] ap, int a0, float[] bp, int kb, float[] c, int c0, int ldc, boolean accumulate) {
        int r1 = c0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc;
        FloatVector x00, x01, x10, x11, x20, x21, x30, x31, x40, x41, x50, x51;
        if (accumulate) {
            x00 = FloatVector.fromArray(F, c, c0); x01 = FloatVector.fromArray(F, c, c0 + L);
            x10 = FloatVector.fromArray(F, c, r1); x11 = FloatVector.fromArray(F, c, r1 + L);
            x20 = FloatVector.fromArray(F, c, r2); x21 = FloatVector.fromArray(F, c, r2 + L);
            x30 = FloatVector.fromArray(F, c, r3); x31 = FloatVector.fromArray(F, c, r3 + L);
            x40 = FloatVector.fromArray(F, c, r4); x41 = FloatVector.fromArray(F, c, r4 + L);
            x50 = FloatVector.fromArray(F, c, r5); x51 = FloatVector.fromArray(F, c, r5 + L);
        } else {
            x00 = FloatVector.zero(F); x01 = x00; x10 = x00; x11 = x00; x20 = x00; x21 = x00;
            x30 = x00; x31 = x00; x40 = x00; x41 = x00; x50 = x00; x51 = x00;
        }
        for (int k = 0, at = a0; k < kb; k++, at += TILE) {
            FloatVector b0 = FloatVector.fromArray(F, bp, k * STRIP), b1 = FloatVector.fromArray(F, bp, k * STRIP + L);
            FloatVector s = FloatVector.broadcast(F, ap[at]);
            x00 = b0.fma(s, x00); x01 = b1.fma(s, x01);
            s = FloatVector.broadcast(F, ap[at + 1]);
            x10 = b0.fma(s, x10); x11 = b1.fma(s, x11);
            s = FloatVector.broadcast(F, ap[at + 2]);
            x20 = b0.fma(s, x20); x21 = b1.fma(s, x21);
            s = FloatVector.broadcast(F, ap[at + 3]);
            x30 = b0.fma(s, x30); x31 = b1.fma(s, x31);
            s = FloatVector.broadcast(F, ap[at + 4]);
            x40 = b0.fma(s, x40); x41 = b1.fma(s, x41);
            s = FloatVector.broadcast(F, ap[at + 5]);
            x50 = b0.fma(s, x50); x51 = b1.fma(s, x51);
        }
        x00.intoArray(c, c0); x01.intoArray(c, c0 + L);
        x10.intoArray(c, r1); x11.intoArray(c, r1 + L);
        x20.intoArray(c, r2); x21.intoArray(c, r2 + L);
        x30.intoArray(c, r3); x31.intoArray(c, r3 + L);
        x40.intoArray(c, r4); x41.intoArray(c, r4 + L);
        x50.intoArray(c, r5); x51.intoArray(c, r5 + L);
    }
}
