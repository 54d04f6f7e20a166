package io.jdpo.model;

import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The forward gives the same bits every time: cold (interpreted) and warm (JIT-compiled),
 * which a bit-identical training run depends on, and whether a pair's prompt is shared.
 */
class DeterminismTest {
    @Test
    void coldAndWarmForwardsAreBitIdentical() throws Exception {
        try (Transformer tf = Transformer.load(TestData.stories260K(), 2)) {
            int[] tokens = new int[96];
            for (int i = 0; i < tokens.length; i++) tokens[i] = 1 + (i * 37) % 500;
            float[] cold = tf.logProbs(tokens, 1);
            float[] warm = null;
            for (int i = 0; i < 40; i++) warm = tf.logProbs(tokens, 1);
            assertArrayEquals(cold, warm);
        }
    }

    /**
     * In the float arithmetic a pair scored with its prompt once is its two sequences to the
     * bit. (The deployed arithmetic follows llama.cpp's decodes instead, which differ between a
     * pair and a sequence: PairParityTest.)
     */
    @Test
    void aPairScoredWithItsPromptOnceEqualsItsTwoSequencesBitForBit() throws Exception {
        try (Transformer tf = Transformer.load(TestData.stories260K(), 2).arithmetic(io.jdpo.tensor.Arithmetic.FLOAT)) {
            int[] prompt = new int[70], chosen = new int[45], rejected = new int[81];
            for (int i = 0; i < prompt.length; i++) prompt[i] = 1 + (i * 37) % 500;
            for (int i = 0; i < chosen.length; i++) chosen[i] = 1 + (i * 53 + 7) % 500;
            for (int i = 0; i < rejected.length; i++) rejected[i] = 1 + (i * 29 + 3) % 500;
            float[] pair = tf.logProbsPair(prompt, chosen, rejected);
            float[] c = tf.logProbs(join(prompt, chosen), prompt.length), r = tf.logProbs(join(prompt, rejected), prompt.length);
            assertArrayEquals(c, java.util.Arrays.copyOf(pair, chosen.length));
            assertArrayEquals(r, java.util.Arrays.copyOfRange(pair, chosen.length, pair.length));
        }
    }

    private static int[] join(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
