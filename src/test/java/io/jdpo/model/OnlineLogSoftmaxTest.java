package io.jdpo.model;

import io.jdpo.tensor.VectorMath;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The inference log-probs, reduced panel by panel without storing the logits, equal the
 * log-softmax of the full logits, however many threads split the vocabulary.
 */
class OnlineLogSoftmaxTest {
    @Test
    void streamedLogProbsEqualTheLogSoftmaxOfTheFullLogits() throws Exception {
        int[] tokens = new int[80];
        for (int i = 0; i < tokens.length; i++) tokens[i] = 1 + (i * 53) % 510;
        for (int threads : new int[]{1, 2, 3}) {
            try (Transformer tf = Transformer.load(TestData.stories260K(), threads)) {
                int V = tf.config().vocab(), from = 5;
                float[] logits = tf.logits(tokens, from);
                float[] streamed = tf.logProbs(tokens, from);
                assertEquals(tokens.length - from, streamed.length);
                for (int i = 0; i < streamed.length; i++) {
                    double expected = logits[i * V + tokens[from + i]] - VectorMath.logSumExp(logits, i * V, V);
                    assertEquals(expected, streamed[i], 2e-6 * Math.max(1, Math.abs(expected)), "threads " + threads + ", position " + i);
                }
            }
        }
    }
}
