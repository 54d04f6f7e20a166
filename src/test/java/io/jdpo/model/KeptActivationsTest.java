package io.jdpo.model;

import io.jdpo.tensor.SegmentMath;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The activations a training forward keeps off the heap come back as they were: a backward
 * from them equals one from activations recomputed layer by layer, bit for bit, whatever other
 * passes are in flight and however their lengths grow the slabs.
 */
class KeptActivationsTest {
    @Test
    void passesInFlightAtOnceEachGetTheirOwnActivationsBack() throws Exception {
        try (Transformer tf = Transformer.load(TestData.stories260K(), 2);
             LoraWeights lora = LoraWeights.init(tf.config(), new LoraConfig(4, 8, false, LoraTarget.all(), 0.2f), 3)) {
            Random rnd = new Random(7);
            MemorySegment p = lora.slab();
            for (long i = 0; i < lora.parameterCount(); i++) {
                if (SegmentMath.get(p, i) == 0) SegmentMath.set(p, i, (float) (0.05 * rnd.nextGaussian()));
            }
            tf.setAdapter(lora);
            int[] shortSeq = tokens(rnd, 40), longSeq = tokens(rnd, 150);
            float[] expectShort = gradient(tf, shortSeq, true, null), expectLong = gradient(tf, longSeq, true, null);

            // Short first (a 64-row slab), then long (a bigger one) while the short pass still waits.
            ForwardPass a = tf.forward(shortSeq, 1, false, 5), b = tf.forward(longSeq, 1, false, 5);
            assertArrayEquals(expectLong, gradient(tf, longSeq, false, b), "long pass, made second, backpropagated first");
            assertArrayEquals(expectShort, gradient(tf, shortSeq, false, a), "short pass, kept while another ran");
            // The short sequence again, now packed at the front of the long pass's recycled slab.
            assertArrayEquals(expectShort, gradient(tf, shortSeq, false, null), "short pass in a reused, larger slab");
        }
    }

    @Test
    void aSlabTheJvmCannotReserveIsOneLineNamingTheWayRound() throws Exception {
        try (Transformer tf = Transformer.load(TestData.stories260K(), 1)) {
            LayerActivations work = new LayerActivations(64, tf.config(), null, true);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> new KeptActivations(work, 1 << 30));
            assertTrue(e.getMessage().contains("MaxDirectMemorySize") && e.getMessage().contains("--recompute"), e.getMessage());
        }
    }

    /** dLoss/dA,B of Σ logp over the sequence's completion, from {@code pass} or a new forward. */
    private static float[] gradient(Transformer tf, int[] tokens, boolean recompute, ForwardPass pass) {
        if (pass == null) pass = tf.forward(tokens, 1, recompute, 5);
        float[] ones = new float[pass.logProbs().length];
        java.util.Arrays.fill(ones, 1f);
        try (LoraWeights grads = tf.adapter().zerosLike()) {
            tf.backward(pass, ones, grads);
            return SegmentMath.toArray(grads.slab());
        }
    }

    private static int[] tokens(Random rnd, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = 1 + rnd.nextInt(500);
        return t;
    }
}
