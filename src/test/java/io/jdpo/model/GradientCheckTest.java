package io.jdpo.model;

import io.jdpo.tensor.SegmentMath;
import io.jdpo.testing.FiniteDifferences;
import io.jdpo.testing.TestData;
import io.jdpo.testing.TestModelFactory;
import io.jdpo.testing.TestModelFactory.Arch;
import io.jdpo.testing.TestModelFactory.Shape;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The backward pass against central finite differences of the forward, for every parameter
 * of a LoRA adapter on all targets, per architecture. The objective is a random weighting of
 * the completion log-probs, L = Σ c_t·logp_t, so every position and sign is exercised; B
 * starts random (not zero) so A's gradient is not trivially zero.
 */
class GradientCheckTest {
    static final int FROM = 6;
    static final float H = 2e-3f;
    static final long SEED = 99;

    /**
     * With {@code pair} the sequence is split into a prompt and two completions trained
     * through {@link Transformer#forwardPair} (prompt computed once), while the finite
     * differences use two separate plain forwards: the check covers the packing too.
     */
    @ParameterizedTest(name = "{0} recompute={1} pair={2} dropout={3} tokens={4}")
    @CsvSource({"LLAMA,false,false,0,20", "QWEN2,false,false,0,20", "QWEN3,false,false,0,20", "LLAMA,true,false,0,20",
            "LLAMA,false,true,0,20", "QWEN3,true,true,0,20", "QWEN2,true,true,0.3,20",
            "GEMMA2,false,false,0,20", "GEMMA3,false,false,0,20", "PHI3,false,false,0,20",
            "GEMMA2,true,true,0,20", "GEMMA3,true,true,0,20", "PHI3,true,true,0,20",
            "GEMMA2,false,false,0,100", "GEMMA3,true,true,0,100"})
    void loraGradientMatchesFiniteDifferences(Arch arch, boolean recompute, boolean pair, float dropout, int T, @TempDir Path dir) throws Exception {
        // 20 tokens against the Gemma models' window of 16 positions: the window cuts in. 100:
        // later blocks of 64 queries also leave out the keys the whole block is past (Attention.blocks),
        // in the pair layout the whole shared prompt too.
        Shape shape = new Shape(64, 2, 4, 2, 96, Math.max(64, T), arch, false, arch == Arch.LLAMA || arch == Arch.PHI3);
        Path model = TestModelFactory.write(TestData.stories260K(), shape, 11, dir.resolve(arch + ".gguf"));
        Random rnd = new Random(5);
        int[] tokens = new int[T];
        for (int i = 0; i < T; i++) tokens[i] = 1 + rnd.nextInt(500);
        int[] other = tokens.clone();
        for (int i = FROM; i < T - 3; i++) other[i] = 1 + rnd.nextInt(500);
        other = java.util.Arrays.copyOf(other, T - 3);
        float[] c = new float[(T - FROM) + (pair ? other.length - FROM : 0)];
        for (int i = 0; i < c.length; i++) c[i] = (float) (rnd.nextDouble() * 2 - 1);
        Objective f = new Objective(tokens, pair ? other : null, c, dropout > 0);
        try (Transformer tf = Transformer.load(model, 1);
             LoraWeights lora = LoraWeights.init(tf.config(), new LoraConfig(2, 4, false, LoraTarget.all(), dropout), 3);
             LoraWeights grads = lora.zerosLike()) {
            MemorySegment p = lora.slab();
            long n = lora.parameterCount();
            for (long i = 0; i < n; i++) {
                if (SegmentMath.get(p, i) == 0) SegmentMath.set(p, i, (float) (0.1 * rnd.nextGaussian()));
            }
            tf.setAdapter(lora);
            // Finite differences cannot see through llama.cpp's F16 GELU table: check the smooth one.
            tf.smoothGelu(true);
            ForwardPass pass = pair
                    ? tf.forwardPair(java.util.Arrays.copyOf(tokens, FROM), java.util.Arrays.copyOfRange(tokens, FROM, T),
                    java.util.Arrays.copyOfRange(other, FROM, other.length), recompute, SEED)
                    : tf.forward(tokens, FROM, recompute, SEED);
            // The training head sums each row's exponentials whole, the inference head online over
            // panels: the same to an ulp of the float log-prob, not bit for bit.
            io.jdpo.testing.Ulps.assertClose(f.logProbs(tf), pass.logProbs(), 2, "training forward = inference forward(s)");
            tf.backward(pass, c, grads);

            double dot = 0, gg = 0, ff = 0;
            double[] fd = new double[(int) n];
            for (int i = 0; i < n; i++) {
                fd[i] = FiniteDifferences.central(p, i, H, () -> f.value(tf));
                double g = SegmentMath.get(grads.slab(), i);
                dot += g * fd[i];
                gg += g * g;
                ff += fd[i] * fd[i];
            }
            double cosine = dot / Math.sqrt(gg * ff);
            double rms = Math.sqrt(gg / n);
            double worst = 0;
            Random pick = new Random(17);
            for (int s = 0; s < 200; s++) {
                int i = pick.nextInt((int) n);
                double g = SegmentMath.get(grads.slab(), i);
                double precise = FiniteDifferences.fivePoint(p, i, 2e-2f, () -> f.value(tf));
                // Relative to the entry, floored at a tenth of the typical gradient: float
                // finite differences cannot resolve entries far below that.
                worst = Math.max(worst, Math.abs(g - precise) / Math.max(Math.max(Math.abs(g), Math.abs(precise)), 0.1 * rms));
            }
            System.out.printf("gradient check %s recompute=%s pair=%s dropout=%s tokens=%d: %d parameters, cosine %.7f, worst relative error of 200 sampled (five-point stencil) %.2e%n",
                    arch, recompute, pair, dropout, T, n, cosine, worst);
            assertTrue(cosine >= 0.999, "cosine " + cosine);
            assertTrue(worst <= 1e-2, "worst relative error " + worst);
        }
    }

    /**
     * L = Σ c_i · logp_i over the completion(s), computed by plain inference forwards; with
     * dropout, by separate training forwards with the same seed (inference has no dropout),
     * which is still independent of the pair packing under test.
     */
    record Objective(int[] tokens, int[] other, float[] c, boolean dropout) {
        float[] logProbs(Transformer tf) {
            float[] a = one(tf, tokens);
            if (other == null) return a;
            float[] b = one(tf, other), all = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, all, a.length, b.length);
            return all;
        }

        private float[] one(Transformer tf, int[] seq) {
            return dropout ? tf.forward(seq, FROM, false, SEED).logProbs() : tf.logProbs(seq, FROM);
        }

        double value(Transformer tf) {
            float[] lp = logProbs(tf);
            double s = 0;
            for (int i = 0; i < lp.length; i++) s += (double) c[i] * lp[i];
            return s;
        }
    }
}
