package io.jdpo.numeric;

import jdk.incubator.vector.DoubleVector;

/**
 * The sum of a vector's lanes in lane order, the same bits on every machine, compiled or not.
 * The Vector API leaves the order of {@code reduceLanes(ADD)} on floating-point lanes open:
 * interpreted it adds lane after lane, and so does C2 on x86, but C2 on AArch64 (NEON: every
 * Apple Silicon Mac) adds pairwise since JDK 23 (JDK-8320725), so a double sum reduced that way
 * could change in its last bits once the JIT compiled the loop.
 */
public final class LaneSum {
    private LaneSum() {
    }

    /**
     * Lane 0 plus lane 1, plus lane 2, and so on.
     *
     * @param v the lanes
     * @return their sum, added in lane order
     */
    public static double inOrder(DoubleVector v) {
        double[] lanes = v.toArray();
        double sum = lanes[0];
        for (int i = 1; i < lanes.length; i++) sum += lanes[i];
        return sum;
    }
}
