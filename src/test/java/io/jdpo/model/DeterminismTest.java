package io.jdpo.model;

import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The forward gives the same bits every time: cold (interpreted) and warm (JIT-compiled),
 * which a bit-identical training run depends on.
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
}
