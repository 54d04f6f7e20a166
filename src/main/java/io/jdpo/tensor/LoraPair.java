package io.jdpo.tensor;

/**
 * One adapted projection of a LoRA adapter: A (rank × nIn) and B (nOut × rank), row-major,
 * so the update of W·x is scale·B·(A·x). Shared by the forward and the adapter exporter.
 */
public record LoraPair(float[] a, float[] b, int rank, int nIn, int nOut) {
    public LoraPair {
        if (a.length != rank * nIn || b.length != nOut * rank) {
            throw new IllegalArgumentException("LoRA pair of rank " + rank + " for " + nOut + "x" + nIn
                    + " needs A of " + rank * nIn + " and B of " + nOut * rank + " values");
        }
    }
}
