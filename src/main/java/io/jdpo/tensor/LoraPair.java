package io.jdpo.tensor;

import java.lang.foreign.MemorySegment;

/**
 * One adapted projection of a LoRA adapter: A (rank × nIn) and B (nOut × rank), row-major
 * little-endian floats in off-heap segments, so the update of W·x is scale·B·(A·x). The same
 * shape also holds gradients and optimizer moments. Shared by the forward, the backward and
 * the adapter exporter. The record does not own the segments: whoever allocated them (their
 * arena) decides when they are freed.
 *
 * @param a    A: rank × nIn floats ({@code rank · nIn · 4} bytes)
 * @param b    B: nOut × rank floats ({@code nOut · rank · 4} bytes)
 * @param rank the LoRA rank r
 * @param nIn  the projection's input width (columns of W)
 * @param nOut the projection's output width (rows of W)
 */
public record LoraPair(MemorySegment a, MemorySegment b, int rank, int nIn, int nOut) {
    /**
     * Checks the segments' sizes against the shape.
     *
     * @throws IllegalArgumentException if A or B does not hold exactly the floats the shape needs
     */
    public LoraPair {
        if (a.byteSize() != (long) rank * nIn * Float.BYTES || b.byteSize() != (long) nOut * rank * Float.BYTES) {
            throw new IllegalArgumentException("LoRA pair of rank " + rank + " for " + nOut + "x" + nIn
                    + " needs A of " + rank * nIn + " and B of " + nOut * rank + " floats");
        }
    }
}
