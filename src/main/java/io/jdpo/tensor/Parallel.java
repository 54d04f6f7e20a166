package io.jdpo.tensor;

import java.util.function.IntToLongFunction;

/**
 * A fixed number of threads for the kernels: the caller's own and {@code threads − 1} workers
 * ({@link Workers}). Work is split into one contiguous range per thread, of equal length
 * (kernels are uniform) or of equal cost ({@link #forRangeWeighted}), so a run's arithmetic,
 * and hence its result, does not depend on timing. Thread-safe: a call that finds the workers
 * busy with another thread's call runs its ranges on its own thread. Closing stops the workers.
 */
public final class Parallel implements AutoCloseable {
    /** Body of a parallel loop over [from, to). */
    public interface Range {
        /**
         * Does the work of indices [from, to).
         *
         * @param from first index, inclusive
         * @param to   last index, exclusive
         */
        void run(int from, int to);
    }

    /** One thread, no workers: bodies run on the caller's thread (nothing to close). */
    public static final Parallel SERIAL = new Parallel(1);

    private final int threads;
    private final Workers workers;

    /**
     * Starts {@code threads − 1} workers; one thread runs bodies on the caller's thread alone.
     *
     * @param threads the threads that run a call, the caller's included, ≥ 1
     * @throws IllegalArgumentException if {@code threads} &lt; 1
     */
    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
        this.threads = threads;
        this.workers = threads == 1 ? null : new Workers(threads - 1);
    }

    /** {@return the number of threads that run a call, the caller's included, ≥ 1} */
    public int threads() {
        return threads;
    }

    /**
     * Runs body over [0, n) split into at most {@code threads} ranges, each a multiple of {@code grain} but the last.
     * Returns when every range is done; a body's unchecked exception is rethrown here.
     *
     * @param n     the number of indices
     * @param grain the unit a range's length is a multiple of (e.g. a block of rows), ≥ 1
     * @param body  the work of one range; ranges run concurrently, so bodies write disjoint outputs
     */
    public void forRange(int n, int grain, Range body) {
        int chunks = Math.min(threads, Math.max(1, (n + grain - 1) / grain));
        if (chunks == 1 || workers == null) {
            body.run(0, n);
            return;
        }
        int per = ((n + chunks - 1) / chunks + grain - 1) / grain * grain;
        int[] bounds = new int[chunks + 1];
        for (int c = 0; c <= chunks; c++) bounds[c] = Math.min(n, c * per);
        workers.run(bounds, body);
    }

    /**
     * Runs body over [0, n) split into at most {@code threads} contiguous ranges of about equal
     * total weight, for loops whose indices cost unequal work (causal attention: a query row
     * costs as many cells as it sees). The split depends on the weights only, never on timing.
     *
     * @param n      the number of indices
     * @param weight the work of index i, ≥ 0
     * @param body   the work of one range; ranges run concurrently, so bodies write disjoint outputs
     */
    public void forRangeWeighted(int n, IntToLongFunction weight, Range body) {
        int chunks = Math.min(threads, Math.max(1, n));
        if (chunks == 1 || workers == null) {
            body.run(0, n);
            return;
        }
        long[] upTo = new long[n + 1];
        for (int i = 0; i < n; i++) upTo[i + 1] = upTo[i] + weight.applyAsLong(i);
        int[] bounds = new int[chunks + 1];
        bounds[chunks] = n;
        // Range c ends at the first index whose running total reaches c + 1 shares of the whole.
        for (int c = 1, i = 0; c < chunks; c++) {
            double share = (double) upTo[n] * c / chunks;
            while (i < n && upTo[i] < share) i++;
            bounds[c] = i;
        }
        workers.run(bounds, body);
    }

    /** Stops the worker threads; calls already running finish, later calls on more than one range fail. */
    @Override
    public void close() {
        if (workers != null) workers.close();
    }
}
