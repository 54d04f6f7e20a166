package io.jdpo.bench;

import io.jdpo.model.Transformer;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * The Java forward (log-probs of T random tokens, deployed arithmetic) timed alone, for comparing
 * two builds back to back (scripts/bench/probe.sh ForwardProbe model.gguf T reps [threads]):
 * the best of reps by the wall clock and by the process's CPU time (the garbage collector's
 * included), which other tenants of a shared machine disturb far less than the wall clock.
 */
public final class ForwardProbe {
    /**
     * The process's CPU time so far, the garbage collector's and the JIT's threads included
     * (from /proc/self/stat, in clock ticks of 10 ms); where there is no /proc, that of the Java
     * threads alive now.
     */
    static long cpuNanos() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // Fields after the command name (which may hold spaces) start at its closing parenthesis: utime and stime are 14 and 15.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
        } catch (IOException | RuntimeException e) {
            var threads = ManagementFactory.getThreadMXBean();
            long sum = 0;
            for (long id : threads.getAllThreadIds()) sum += Math.max(0, threads.getThreadCpuTime(id));
            return sum;
        }
    }

    public static void main(String[] a) throws Exception {
        int T = Integer.parseInt(a[1]), reps = Integer.parseInt(a[2]), threads = a.length > 3 ? Integer.parseInt(a[3]) : 2;
        try (Transformer tf = Transformer.load(Path.of(a[0]), threads)) {
            Random rnd = new Random(3);
            int[] tokens = new int[T];
            for (int i = 0; i < T; i++) tokens[i] = 3 + rnd.nextInt(tf.config().vocab() - 3);
            tf.logProbs(tokens, 1);
            double wall = Double.MAX_VALUE, cpu = Double.MAX_VALUE;
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime(), c0 = cpuNanos();
                tf.logProbs(tokens, 1);
                wall = Math.min(wall, (System.nanoTime() - t0) / 1e9);
                cpu = Math.min(cpu, (cpuNanos() - c0) / 1e9);
            }
            System.out.printf(Locale.ROOT, "forward of %d tokens on %d threads: best %.1f tokens/s, best %.2f CPU seconds%n", T, threads, T / wall, cpu);
        }
    }
}
