package io.jdpo.bench;

import java.util.Locale;

/** Prints this machine's measured FP32 FMA peak for the given threads, for the bench scripts. */
public final class PrintFmaPeak {
    public static void main(String[] a) throws Exception {
        System.out.printf(Locale.ROOT, "peak_gflops=%.1f%n", FmaPeak.measure(Integer.parseInt(a[0])));
    }
}
