package io.jdpo.tensor;

import java.lang.foreign.MemorySegment;

/**
 * One adapted projection of a LoRA adapter: A (rank × nIn) and B (nOut × rank), row-major
 * little-endian floats in off-heap segments, so the update of W·x is scale·B·(A·x). The same
 * shape also holds gradients and optimizer moments. Shared by the forward, the backward and
 * the adapter exporter.
 */
public record LoraPair(MemorySegment a, MemorySegment b, int rank, int nIn, int nOut) {
    public LoraPair {
        if (a.byteSize() != (long) rank * nIn * Float.BYTES || b.byteSize() != (long) nOut * rank * Float.BYTES) {
            throw new IllegalArgumentException("LoRA pair of rank " + rank + " for " + nOut + "x" + nIn
                    + " needs A of " + rank * nIn + " and B of " + nOut * rank + " floats");
        }
    }
}
