package io.jdpo.model;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * This JVM's cap on memory reserved off the heap (native segments and direct buffers
 * together), which the activations a training forward keeps count against, and what to do when
 * they do not fit under it.
 */
public final class OffHeap {
    /** The ways round activations that do not fit, for the one line that says so. */
    public static final String ADVICE = "raise -XX:MaxDirectMemorySize (in JDPO_JAVA_OPTS), lower --max-length,"
            + " or recompute the activations in the backward (--recompute)";

    private OffHeap() {
    }

    /** {@return the bytes this JVM lets native segments and direct buffers reserve together} */
    public static long limit() {
        long set = flag();
        // Not set: HotSpot caps it at the heap's maximum.
        return set > 0 ? set : Runtime.getRuntime().maxMemory();
    }

    /** {@return the cap and where it comes from, for a message} */
    public static String describeLimit() {
        long set = flag();
        return set > 0 ? String.format(Locale.ROOT, "-XX:MaxDirectMemorySize=%.0fm", set / 1048576.0)
                : String.format(Locale.ROOT, "%.0f MiB, the heap's maximum, as -XX:MaxDirectMemorySize is not set",
                Runtime.getRuntime().maxMemory() / 1048576.0);
    }

    /** -XX:MaxDirectMemorySize in bytes, 0 where it is not set or this JVM does not say (not HotSpot). */
    private static long flag() {
        try {
            HotSpotDiagnosticMXBean bean = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return bean == null ? 0 : Long.parseLong(bean.getVMOption("MaxDirectMemorySize").getValue());
        } catch (IllegalArgumentException e) {
            // No such bean or option on this JVM (NumberFormatException included).
            return 0;
        }
    }
}
