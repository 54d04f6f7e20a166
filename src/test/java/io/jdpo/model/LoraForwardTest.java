package io.jdpo.model;

import io.jdpo.tensor.VectorMath;
import io.jdpo.adapter.AdapterExporter;
import io.jdpo.llama.Batch;
import io.jdpo.llama.ContextParams;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LoraAdapter;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The Java forward with a LoRA adapter against llama.cpp with the same adapter, exported by jdpo. */
class LoraForwardTest {

    static double maxGap(Path base, Path adapter, Transformer tf, int[] tokens) {
        float[] ours = tf.logProbs(tokens, 1);
        try (LlamaModel m = LlamaModel.load(base);
             LlamaContext ctx = LlamaContext.create(m, ContextParams.of(128).withThreads(2));
             LoraAdapter a = adapter == null ? null : LoraAdapter.load(m, adapter);
             Batch b = new Batch(tokens.length, 1)) {
            if (a != null) ctx.attach(a, 1f);
            for (int t = 0; t < tokens.length; t++) b.add(tokens[t], t, true, 0);
            ctx.decode(b);
            double max = 0;
            for (int t = 0; t + 1 < tokens.length; t++) {
                float[] z = ctx.logits(t);
                double norm = VectorMath.logSumExp(z, 0, z.length);
                max = Math.max(max, Math.abs((z[tokens[t + 1]] - norm) - ours[t]));
            }
            return max;
        }
    }

    @Test
    void exportedAdapterGivesTheSameLogProbsInBothEngines(@TempDir Path dir) throws Exception {
        Path base = TestData.stories260K();
        try (Transformer tf = Transformer.load(base, 2);
             LlamaModel m = LlamaModel.load(base)) {
            int[] tokens = m.tokenizer().tokenize("Once upon a time, there was a little girl named Lily. She loved to play.", true, false);
            for (boolean rs : new boolean[]{false, true}) {
                LoraWeights lora = LoraWeights.init(tf.config(), new LoraConfig(4, 8, rs, LoraTarget.all()), 7);
                tf.setAdapter(lora);
                float[] fresh = tf.logProbs(tokens, 1);
                tf.setAdapter(null);
                assertArrayEquals(tf.logProbs(tokens, 1), fresh, "B = 0: the adapter changes nothing");
                Random rnd = new Random(3);
                lora.layers().values().forEach(pairs -> pairs.values().forEach(p -> {
                    for (long i = 0; i < (long) p.nOut() * p.rank(); i++) io.jdpo.tensor.SegmentMath.set(p.b(), i, (float) (0.05 * rnd.nextGaussian()));
                }));
                Path out = dir.resolve("adapter-" + rs + ".gguf");
                AdapterExporter.write(out, "llama", lora.config().exportedAlpha(), lora.byTensorName(), Map.of("jdpo.test", "lora-forward"));
                tf.setAdapter(lora);
                double withAdapter = maxGap(base, out, tf, tokens);
                tf.setAdapter(null);
                double moved = 0;
                float[] plain = tf.logProbs(tokens, 1);
                tf.setAdapter(lora);
                float[] adapted = tf.logProbs(tokens, 1);
                for (int i = 0; i < plain.length; i++) moved = Math.max(moved, Math.abs(plain[i] - adapted[i]));
                assertTrue(moved > 0.05, "the adapter must change the log-probs (moved " + moved + ")");
                assertTrue(withAdapter < 1e-4, "rsLoRA=" + rs + ": Java and llama.cpp differ by " + withAdapter);
                tf.setAdapter(null);
            }
        }
    }
}
