package io.jdpo.data;

import java.util.SplittableRandom;

/**
 * The order pairs are visited in: one seeded shuffle per epoch, a function of (seed, epoch)
 * only, so the k-th pair of a run is known without replaying earlier steps (exact resume).
 * Not thread-safe: it keeps the current epoch's permutation.
 */
public final class DataOrder {
    private final int n;
    private final long seed;
    private int epoch = -1;
    private int[] perm;

    /**
     * An order over n pairs.
     *
     * @param n    the number of pairs, ≥ 1
     * @param seed the run's seed
     * @throws IllegalArgumentException if n &lt; 1
     */
    public DataOrder(int n, long seed) {
        if (n < 1) throw new IllegalArgumentException("no training pairs");
        this.n = n;
        this.seed = seed;
    }

    /**
     * Index of the k-th pair visited (k counts across epochs).
     *
     * @param k the visit, from 0; visit k belongs to epoch k / n
     * @return the pair's index in [0, n)
     */
    public int at(long k) {
        int e = (int) (k / n);
        if (e != epoch) {
            perm = shuffle(e);
            epoch = e;
        }
        return perm[(int) (k % n)];
    }

    private int[] shuffle(int e) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + e);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
