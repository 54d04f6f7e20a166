package io.jdpo.model;

import io.jdpo.testing.TestData;
import io.jdpo.testing.TestModelFactory;
import io.jdpo.testing.TestModelFactory.Arch;
import io.jdpo.testing.TestModelFactory.Shape;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Sliding-window attention in the packed pair layout: prompt, chosen and rejected in one
 * sequence, each completion several windows long, must give each completion exactly the
 * log-probs of its own sequence (bit for bit, in the float arithmetic: the deployed one follows
 * llama.cpp's decodes of a pair, PairParityTest). That the window itself is llama.cpp's is
 * ParityTest's job (128-token windows against a window of 16).
 */
class SlidingWindowTest {
    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"GEMMA2", "GEMMA3"})
    void aPackedPairSeesTheWindowOfEachOwnSequence(Arch arch, @TempDir Path dir) throws Exception {
        Path model = TestModelFactory.write(TestData.stories260K(), new Shape(64, 2, 4, 2, 96, 128, arch, false), 4,
                dir.resolve(arch + ".gguf"));
        Random rnd = new Random(8);
        int w = TestModelFactory.SLIDING_WINDOW;
        int[] prompt = tokens(rnd, 2 * w + 3), chosen = tokens(rnd, 3 * w), rejected = tokens(rnd, 2 * w + 5);
        try (Transformer tf = Transformer.load(model, 2).arithmetic(io.jdpo.tensor.Arithmetic.FLOAT)) {
            assertEquals(w, tf.config().features().slidingWindow());
            assertTrue(tf.config().features().slides(0), "layer 0 slides");
            assertFalse(tf.config().features().slides(1), "layer 1 is global");
            float[] packed = tf.logProbsPair(prompt, chosen, rejected);
            float[] c = tf.logProbs(concat(prompt, chosen), prompt.length);
            float[] r = tf.logProbs(concat(prompt, rejected), prompt.length);
            assertArrayEquals(c, Arrays.copyOf(packed, c.length), "chosen: as in its own sequence");
            assertArrayEquals(r, Arrays.copyOfRange(packed, c.length, packed.length), "rejected: as in its own sequence");
            ForwardPass pass = tf.forwardPair(prompt, chosen, rejected, false);
            // The training head sums each row's exponentials whole, the inference head online
            // over panels (in double both): equal to an ulp of the float result, not bit for bit.
            io.jdpo.testing.Ulps.assertClose(packed, pass.logProbs(), 2, "the training forward too");
        }
    }

    private static int[] tokens(Random rnd, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = 1 + rnd.nextInt(500);
        return t;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
