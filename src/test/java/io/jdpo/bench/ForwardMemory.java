package io.jdpo.bench;

import io.jdpo.model.ModelConfig;
import io.jdpo.model.Transformer;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Resident memory of the Java forward (T tokens, all log-probs) in a fresh JVM, against the
 * GGUF file size plus the activations the forward holds: shows that no tensor is dequantized
 * whole and nothing else grows with the model. Args: model T threads.
 *
 * <p>The peak is split into what the JVM costs whatever it runs (its resident memory at start,
 * then JIT-compiled code, class metadata, GC and compiler bookkeeping) and what the forward
 * holds: the model's resident mapping (from /proc/self/smaps) and the Java heap, which holds
 * the activations (its committed size, capped by -Xmx). The bound applies to the latter. A
 * short forward (64 tokens) first compiles every kernel; the peak counter is then reset
 * (/proc/self/clear_refs) and the measured forward runs.
 */
public final class ForwardMemory {
    public static void main(String[] a) throws Exception {
        Path model = Path.of(a[0]);
        int T = Integer.parseInt(a[1]), threads = Integer.parseInt(a[2]);
        long start = status("VmRSS:");
        try (Transformer tf = Transformer.load(model, threads)) {
            ModelConfig c = tf.config();
            Random rnd = new Random(1);
            for (int i = 0; i < 3; i++) tf.logProbs(rnd.ints(64, 3, c.vocab()).toArray(), 1);
            System.gc();
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            tf.logProbs(rnd.ints(T, 3, c.vocab()).toArray(), 1);
            long peak = status("VmHWM:"), mapped = mappedResident(model), file = Files.size(model);
            long heap = heapCommittedPeak(), forward = mapped + heap, jvm = peak - forward;
            // What the inference forward holds: x, h1, o, h2 and the normalised rows for the
            // output (dim each), q and the attention output (q width), k and v (kv width),
            // gate and up (ffn; silu(gate)·up is formed in place).
            long activations = 4L * T * (5L * c.dim() + 2L * c.qDim() + 2L * c.kvDim() + 2L * c.ffn());
            System.out.printf("peak RSS %.0f MiB = forward %.0f MiB (model mapping %.0f MiB resident + Java heap %.0f MiB committed)"
                            + " + JVM %.0f MiB (%.0f at start, then JIT code, class metadata, GC and compiler bookkeeping)%n",
                    mib(peak), mib(forward), mib(mapped), mib(heap), mib(jvm), mib(start));
            System.out.printf("file %.0f MiB + activations %.0f MiB = %.0f MiB; forward / (file + activations) = %.2f"
                            + " (bound 1.10); whole process / (file + activations) = %.2f%n",
                    mib(file), mib(activations), mib(file + activations),
                    (double) forward / (file + activations), (double) peak / (file + activations));
        }
    }

    /** The most the heap's pools have had committed, summed: an upper bound of the heap's resident memory. */
    private static long heapCommittedPeak() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) sum += p.getPeakUsage().getCommitted();
        }
        return sum;
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }

    /** A /proc/self/status field (VmRSS:, VmHWM:), in bytes. */
    static long status(String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field)) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
        throw new IllegalStateException(field + " not in /proc/self/status");
    }

    /** Peak resident memory of this process so far, in KiB. */
    static long peakKiB() throws Exception {
        return status("VmHWM:") / 1024;
    }

    /** Resident bytes of this process's mappings of the file (from /proc/self/smaps). */
    static long mappedResident(Path file) throws Exception {
        String name = file.toRealPath().toString();
        long total = 0;
        boolean inFile = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (Character.isDigit(line.charAt(0)) || (line.charAt(0) >= 'a' && line.charAt(0) <= 'f' && line.contains("-"))) {
                inFile = line.endsWith(name);
            } else if (inFile && line.startsWith("Rss:")) {
                total += Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return total;
    }
}
