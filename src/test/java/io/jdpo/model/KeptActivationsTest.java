package io.jdpo.model;

import io.jdpo.tensor.Parallel;
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

    /** What a run checks before it starts is what the forward then reserves. */
    @Test
    void theSlabTakesWhatKeptActivationBytesSays() throws Exception {
        for (LoraTarget[] targets : new LoraTarget[][]{{LoraTarget.ATTN_Q}, LoraTarget.all().toArray(LoraTarget[]::new)}) {
            try (Transformer tf = Transformer.load(TestData.stories260K(), 1);
                 LoraWeights lora = LoraWeights.init(tf.config(), new LoraConfig(4, 8, false, java.util.Set.of(targets), 0f), 3)) {
                tf.setAdapter(lora);
                ForwardPass pass = tf.forward(tokens(new Random(1), 100), 1, false, 5);
                long expected = Transformer.keptActivationBytes(tf.config(), lora.config(), 100);
                assertEquals(expected, pass.kept.slabBytes());
                // Slabs come in whole 64-row blocks: 100 rows reserve what 128 do.
                assertEquals(Transformer.keptActivationBytes(tf.config(), lora.config(), 128), expected);
                assertTrue(Transformer.keptActivationBytes(tf.config(), lora.config(), 129) > expected);
            }
        }
    }

    /** An outgrown slab, and the spares of a closed model, go back at once, not at some later collection. */
    @Test
    void slabsTheModelDropsAreFreedAtOnce() throws Exception {
        ForwardPass longer;
        try (Transformer tf = Transformer.load(TestData.stories260K(), 1);
             LoraWeights lora = LoraWeights.init(tf.config(), new LoraConfig(4, 8, false, LoraTarget.all(), 0f), 3)) {
            tf.setAdapter(lora);
            Random rnd = new Random(3);
            int[] shortSeq = tokens(rnd, 40), longSeq = tokens(rnd, 150);
            ForwardPass shorter = tf.forward(shortSeq, 1, false, 5);
            gradient(tf, shortSeq, false, shorter);
            assertFalse(shorter.kept.freed(), "a recycled slab waits for the next pass");
            longer = tf.forward(longSeq, 1, false, 5);
            assertTrue(shorter.kept.freed(), "outgrown by a 150-row pass");
            gradient(tf, longSeq, false, longer);
            assertFalse(longer.kept.freed());
        }
        assertTrue(longer.kept.freed(), "a spare of the closed model");
    }

    @Test
    void aSlabTheJvmCannotReserveIsOneLineNamingTheWayRound() throws Exception {
        try (Transformer tf = Transformer.load(TestData.stories260K(), 1)) {
            ModelConfig c = tf.config();
            LayerActivations work = new LayerActivations(64, c, null, true);
            // The model as it is, but a billion layers deep: a slab of some 2^40 bytes.
            ModelConfig deep = new ModelConfig(c.arch(), c.dim(), 1 << 30, c.heads(), c.kvHeads(), c.headDim(), c.ffn(), c.vocab(),
                    c.contextLength(), c.rmsEps(), c.ropeBase(), c.ropeDim(), c.ropeFreqScale(), c.attentionScale(), c.features());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> new KeptActivations(work, deep, null, Parallel.SERIAL));
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
