package io.jdpo.demo;

import io.jdpo.model.Transformer;
import io.jdpo.tensor.SegmentMath;
import io.jdpo.testing.TestData;
import io.jdpo.testing.TestModelFactory;
import io.jdpo.testing.TestModelFactory.Shape;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Full-parameter gradients (every projection, norm, the embedding and the output matrix)
 * against five-point finite differences on 300 random weights of a small Llama, tied and
 * untied: what pretraining the demo model relies on.
 */
class FullGradientCheckTest {
    @ParameterizedTest(name = "tied={0}")
    @ValueSource(booleans = {false, true})
    void everyWeightsGradientMatchesFiniteDifferences(boolean tied, @TempDir Path dir) throws Exception {
        Path model = TestModelFactory.write(TestData.stories260K(), new Shape(32, 2, 4, 2, 48, 64, TestModelFactory.Arch.LLAMA, tied),
                4, dir.resolve("m.gguf"));
        Random rnd = new Random(8);
        int[] tokens = new int[16];
        for (int i = 0; i < tokens.length; i++) tokens[i] = 1 + rnd.nextInt(500);
        float[] c = new float[tokens.length - 1];
        for (int i = 0; i < c.length; i++) c[i] = (float) (rnd.nextDouble() * 2 - 1);
        try (FullParameterModel fm = FullParameterModel.load(model, 1)) {
            Transformer tf = fm.transformer();
            Map<String, MemorySegment> params = fm.parameters();
            Map<String, float[]> grads = fm.zeroGradients();
            fm.backward(tf.forward(tokens, 1, false), c, grads);
            List<String> names = new ArrayList<>(params.keySet());
            double dot = 0, gg = 0, ff = 0, worst = 0;
            double[] gs = new double[300], fds = new double[300];
            for (int s = 0; s < 300; s++) {
                String name = names.get(rnd.nextInt(names.size()));
                MemorySegment p = params.get(name);
                int i = rnd.nextInt((int) (p.byteSize() / Float.BYTES));
                gs[s] = grads.get(name)[i];
                fds[s] = fivePoint(tf, p, i, tokens, c);
                dot += gs[s] * fds[s];
                gg += gs[s] * gs[s];
                ff += fds[s] * fds[s];
            }
            // Relative to the entry, floored at a tenth of the typical gradient: float finite
            // differences cannot resolve entries far below that (unused embedding rows are 0).
            double floor = 0.1 * Math.sqrt(gg / 300);
            for (int s = 0; s < 300; s++) {
                worst = Math.max(worst, Math.abs(gs[s] - fds[s]) / Math.max(Math.max(Math.abs(gs[s]), Math.abs(fds[s])), floor));
            }
            double cosine = dot / Math.sqrt(gg * ff);
            System.out.printf("full gradient check tied=%s: 300 sampled weights of %d tensors, cosine %.7f, worst relative error %.2e%n",
                    tied, names.size(), cosine, worst);
            assertTrue(cosine >= 0.999, "cosine " + cosine);
            assertTrue(worst <= 1e-2, "worst relative error " + worst);
        }
    }

    private static double fivePoint(Transformer tf, MemorySegment p, int i, int[] tokens, float[] c) {
        float v = get(p, i), h = 1e-2f;
        double[] f = new double[4];
        float[] at = {v - 2 * h, v - h, v + h, v + 2 * h};
        for (int k = 0; k < 4; k++) {
            set(p, i, at[k]);
            float[] lp = tf.logProbs(tokens, 1);
            double s = 0;
            for (int j = 0; j < lp.length; j++) s += (double) c[j] * lp[j];
            f[k] = s;
        }
        set(p, i, v);
        return (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h);
    }

    private static float get(MemorySegment p, int i) {
        return SegmentMath.get(p, i);
    }

    private static void set(MemorySegment p, int i, float v) {
        SegmentMath.set(p, i, v);
    }
}
