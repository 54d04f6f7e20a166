package io.jdpo.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The dense kernels (A·B, A·Bᵀ, Aᵀ·B; and the segment accumulation) held to their scalar references on odd shapes, strides and offsets. */
class PackedGemmTest {
    // M (rows of A: whole 6- and 8-row tiles and padded tails), K (across the reduction block), N (partial strips).
    // N up to one vector (at 512 bits): the narrow path, eight rows at a time and the rows after.
    static final int[][] SHAPES = {{1, 1, 1}, {3, 7, 5}, {4, 16, 16}, {6, 40, 16}, {9, 300, 33}, {13, 513, 70}, {5, 2, 17}, {17, 64, 32},
            {24, 260, 64}, {25, 31, 97}, {19, 300, 16}, {11, 600, 9}, {16, 70, 4}};

    @Test
    void everyOutputIsOneChainOverKInOrder() {
        // Fused multiply-adds on vectors; on the scalar path, plain products and sums.
        boolean fused = Simd.VECTOR;
        Random rnd = new Random(4);
        for (int[] sh : SHAPES) {
            int M = sh[0], K = sh[1], N = sh[2];
            for (boolean acc : new boolean[]{false, true}) {
                // A's rows 1024 floats apart as well as packed: the stride of dy in the backward of a 1024-row product.
                int lda = K < 1024 ? 1024 : K + 1;
                float[] a = random(rnd, M * lda), b = random(rnd, K * N), bt = random(rnd, N * K), c0 = random(rnd, M * N);
                // Aᵀ's A: K rows of M values, a few floats apart beyond M.
                int ldaT = M + 3;
                float[] aT = random(rnd, K * ldaT);
                float[] ab = c0.clone(), abT = c0.clone(), aTb = c0.clone();
                PackedGemm.ab(a, 0, lda, M, b, 0, N, K, N, ab, 0, N, acc);
                PackedGemm.abT(a, 0, lda, M, bt, 0, K, K, N, abT, 0, N, acc);
                PackedGemm.aTb(aT, 0, ldaT, M, b, 0, N, K, N, aTb, 0, N, acc);
                for (int i = 0; i < M; i++) {
                    for (int j = 0; j < N; j++) {
                        float s = acc ? c0[i * N + j] : 0f, sT = s, tS = s;
                        for (int k = 0; k < K; k++) {
                            float x = a[i * lda + k], y = aT[k * ldaT + i];
                            s = fused ? Math.fma(b[k * N + j], x, s) : s + x * b[k * N + j];
                            sT = fused ? Math.fma(bt[j * K + k], x, sT) : sT + x * bt[j * K + k];
                            tS = fused ? Math.fma(b[k * N + j], y, tS) : tS + y * b[k * N + j];
                        }
                        String at = M + "x" + K + "x" + N + " acc=" + acc + " at " + i + "," + j;
                        assertEquals(s, ab[i * N + j], 0f, "ab " + at);
                        assertEquals(sT, abT[i * N + j], 0f, "abT " + at);
                        assertEquals(tS, aTb[i * N + j], 0f, "aTb " + at);
                    }
                }
            }
        }
    }

    @Test
    void eachRowGetsTheSameBitsWhateverTileComputesIt() {
        Random rnd = new Random(2);
        int M = 17, K = 300, N = 40;
        float[] a = random(rnd, M * K), b = random(rnd, N * K), all = new float[M * N];
        PackedGemm.abT(a, 0, K, M, b, 0, K, K, N, all, 0, N, false);
        for (int i = 0; i < M; i++) {
            float[] one = new float[N];
            PackedGemm.abT(a, i * K, K, 1, b, 0, K, K, N, one, 0, N, false);
            assertArrayEquals(java.util.Arrays.copyOfRange(all, i * N, (i + 1) * N), one, 0f, "row " + i);
        }
    }

    @Test
    void packedProductsMatchScalarReference() {
        Random rnd = new Random(1);
        for (int[] sh : SHAPES) {
            int M = sh[0], K = sh[1], N = sh[2];
            for (boolean acc : new boolean[]{false, true}) {
                // Offsets and leading dimensions larger than the shapes: the kernels must respect strides.
                int ao = 3, lda = K + 2, bo = 5, co = 1, ldc = N + 3;
                float[] a = random(rnd, ao + M * lda), c0 = random(rnd, co + M * ldc);
                float[] b = random(rnd, bo + K * (N + 1)), bt = random(rnd, bo + N * (K + 1));
                float[] fast = c0.clone(), ref = c0.clone();
                PackedGemm.ab(a, ao, lda, M, b, bo, N + 1, K, N, fast, co, ldc, acc);
                PackedGemm.abScalar(a, ao, lda, M, b, bo, N + 1, K, N, ref, co, ldc, acc);
                close(ref, fast, K, "ab " + M + "x" + K + "x" + N + " acc=" + acc);
                fast = c0.clone();
                ref = c0.clone();
                PackedGemm.abT(a, ao, lda, M, bt, bo, K + 1, K, N, fast, co, ldc, acc);
                PackedGemm.abTScalar(a, ao, lda, M, bt, bo, K + 1, K, N, ref, co, ldc, acc);
                close(ref, fast, K, "abT " + M + "x" + K + "x" + N + " acc=" + acc);
                float[] aT = random(rnd, ao + K * (M + 2));
                fast = c0.clone();
                ref = c0.clone();
                PackedGemm.aTb(aT, ao, M + 2, M, b, bo, N + 1, K, N, fast, co, ldc, acc);
                PackedGemm.aTbScalar(aT, ao, M + 2, M, b, bo, N + 1, K, N, ref, co, ldc, acc);
                close(ref, fast, K, "aTb " + M + "x" + K + "x" + N + " acc=" + acc);
            }
        }
    }

    @Test
    void segmentAccumulationMatchesScalarReference() {
        Random rnd = new Random(3);
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            for (int n : new int[]{1, 7, 8, 33, 100}) {
                java.lang.foreign.MemorySegment fast = arena.allocate(4L * (n + 5)), ref = arena.allocate(4L * (n + 5));
                float[] x = random(rnd, n + 2);
                for (int i = 0; i < n + 5; i++) {
                    float v = (float) rnd.nextGaussian();
                    SegmentMath.set(fast, i, v);
                    SegmentMath.set(ref, i, v);
                }
                SegmentMath.axpy(0.7f, x, 2, fast, 3, n);
                SegmentMath.axpyScalar(0.7f, x, 2, ref, 3, n);
                for (int i = 0; i < n + 5; i++) {
                    assertEquals(SegmentMath.get(ref, i), SegmentMath.get(fast, i), 1e-6 * (1 + Math.abs(SegmentMath.get(ref, i))), "n=" + n + " at " + i);
                }
            }
        }
    }

    private static void close(float[] ref, float[] fast, int k, String what) {
        for (int i = 0; i < ref.length; i++) {
            assertEquals(ref[i], fast[i], 1e-5 * Math.sqrt(k) * (1 + Math.abs(ref[i])), what + " at " + i);
        }
    }

    private static float[] random(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }
}
