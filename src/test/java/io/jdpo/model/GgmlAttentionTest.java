package io.jdpo.model;

import io.jdpo.tensor.GgmlOrder;
import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.Simd;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The vector attention in ggml's order against its scalar reference, bit for bit: plain
 * sequences and packed pairs, with and without a sliding window and a soft cap, queries scaled
 * first or scores in the softmax, head sizes whole and partial multiples of ggml's vectors.
 * (That the scalar reference is llama.cpp's number is GgmlOrderForwardTest's and ParityTest's.)
 */
class GgmlAttentionTest {
    @Test
    void vectorEqualsScalarBitForBit() {
        Assumptions.assumeTrue(GgmlOrder.LANES > 0 && Simd.VECTOR, "ggml's order on the vector path");
        Random rnd = new Random(3);
        for (int hd : new int[]{8, 32, 64, 80, 128}) {
            ModelConfig cfg = new ModelConfig(Architecture.LLAMA, 4 * hd, 1, 4, 2, hd, 8, 512, 4096, 1e-5f, 10000f, hd, 1f,
                    (float) (1 / Math.sqrt(hd)));
            int[] prompt = tokens(rnd, 37), chosen = tokens(rnd, 29), rejected = tokens(rnd, 41);
            // 300 tokens: more than sixteen chunks of sixteen cells, so the chunk sums are halved sixteen at a time too.
            for (Layout layout : new Layout[]{Layout.sequence(tokens(rnd, 83), 1), Layout.sequence(tokens(rnd, 300), 1), Layout.pair(prompt, chosen, rejected)}) {
                int T = layout.length();
                float[] q = gauss(rnd, T * cfg.qDim()), k = gauss(rnd, T * cfg.kvDim()), v = gauss(rnd, T * cfg.kvDim());
                for (Attention.Options opt : new Attention.Options[]{
                        new Attention.Options(cfg.attentionScale(), 0, 0, false, true),
                        new Attention.Options(cfg.attentionScale(), 16, 0, true, true),
                        new Attention.Options(cfg.attentionScale(), 0, 50f, true, true),
                        new Attention.Options(cfg.attentionScale(), 7, 50f, false, true)}) {
                    float[] a = new float[T * cfg.qDim()], b = new float[T * cfg.qDim()];
                    try (Parallel par = new Parallel(2)) {
                        GgmlAttention.vector(q, k, v, a, layout, cfg, par, opt);
                        GgmlAttention.scalar(q, k, v, b, layout, cfg, par, opt);
                    }
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(Float.floatToIntBits(b[i]), Float.floatToIntBits(a[i]),
                                "hd=" + hd + " T=" + T + " " + opt + " at " + i + ": " + b[i] + " vs " + a[i]);
                    }
                }
            }
        }
    }

    private static int[] tokens(Random rnd, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = 1 + rnd.nextInt(500);
        return t;
    }

    private static float[] gauss(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (2 * rnd.nextGaussian());
        return x;
    }
}
