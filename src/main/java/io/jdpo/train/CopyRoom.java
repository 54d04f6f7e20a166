package io.jdpo.train;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Whether step 0's F32 copy of a model ({@code DequantizedCopy}, written to a temporary folder,
 * then memory-mapped and scored by llama.cpp) has room: at most half the free space where it is
 * written and a quarter of the machine's memory, or a limit the caller sets. Without room the
 * check runs on the model's first blocks that fit, or is left out. A 4-bit 8B model's
 * copy is about 30 GiB; written to a small disk or a RAM-backed /tmp, or scored through a page
 * cache smaller than itself, the check would stop the machine before training began.
 *
 * @param need  the copy's bytes
 * @param limit the most it may take, in bytes
 * @param from  where the limit comes from, for the message
 */
record CopyRoom(long need, long limit, String from) {
    private static final double GIB = 1 << 30;

    /**
     * The room for a copy of {@code need} bytes in {@code dir} on this machine.
     *
     * @param need the copy's bytes
     * @param dir  the folder it would be written to
     * @return the room, the smaller of the two limits (the memory's alone where the folder's
     *         file store cannot be read)
     */
    static CopyRoom at(long need, Path dir) {
        long disk;
        try {
            disk = Files.getFileStore(dir).getUsableSpace() / 2;
        } catch (IOException e) {
            // A file store the JDK cannot read (some container mounts): the memory alone bounds the copy.
            disk = Long.MAX_VALUE;
        }
        long memory = physicalMemory() / 4;
        return disk <= memory
                ? new CopyRoom(need, disk, "half the " + size(2 * disk) + " free in " + dir.getParent())
                : new CopyRoom(need, memory, "a quarter of the " + size(4 * memory) + " of memory");
    }

    /** {@return whether the copy fits} */
    boolean fits() {
        return need <= limit;
    }

    /**
     * The step-0 line that says the check was left out, and how to run it alone.
     *
     * @param why why a copy of the first blocks was not checked instead
     * @return the line
     */
    String skipped(String why) {
        return "step 0: Java forward check left out: an F32 copy of this model takes " + size(need) + ", more than " + size(limit)
                + " (" + from + "), " + why + "; `jdpo parity MODEL --dequantized` runs it alone on a machine with room";
    }

    /** Bytes in GiB, or in MiB below one GiB. */
    static String size(long bytes) {
        return bytes >= GIB ? String.format(Locale.ROOT, "%.1f GiB", bytes / GIB) : String.format(Locale.ROOT, "%.1f MiB", bytes / (GIB / 1024));
    }

    private static long physicalMemory() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    }
}
