package io.jdpo.bench;

import io.jdpo.model.ModelConfig;
import io.jdpo.model.Transformer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Peak resident memory of one Java forward (T tokens, all log-probs) in a fresh JVM, beside
 * the GGUF file size and the activations the forward holds: shows that no tensor is
 * dequantized whole. Args: model T threads.
 */
public final class ForwardMemory {
    public static void main(String[] a) throws Exception {
        Path model = Path.of(a[0]);
        int T = Integer.parseInt(a[1]), threads = Integer.parseInt(a[2]);
        long baseline = peakKiB();
        try (Transformer tf = Transformer.load(model, threads)) {
            ModelConfig c = tf.config();
            int[] tokens = new Random(1).ints(T, 3, c.vocab()).toArray();
            tf.logProbs(tokens, 1);
            // x, h, q, att, o, the final norm and k/v at kv width; gate and up; one chunk of logits.
            long activations = 4L * T * (6L * c.dim() + 2L * c.kvDim() + 2L * c.ffn()) + 4L * Math.min((long) T * c.vocab(), 8 << 20);
            long peak = peakKiB() * 1024, file = Files.size(model);
            System.out.printf("peak RSS %.0f MiB (JVM at start %.0f MiB); file %.0f MiB + activations %.0f MiB = %.0f MiB; "
                            + "peak / (file + activations) = %.2f%n", peak / 1048576.0, baseline / 1024.0, file / 1048576.0,
                    activations / 1048576.0, (file + activations) / 1048576.0, (double) peak / (file + activations));
        }
    }

    /** VmHWM of this process, in KiB. */
    static long peakKiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        return -1;
    }
}
