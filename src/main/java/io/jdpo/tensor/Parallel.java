package io.jdpo.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * A fixed number of worker threads for the kernels. Work is split into one contiguous range
 * per thread (kernels are uniform), so a run's arithmetic, and hence its result, does not
 * depend on timing. Thread-safe: calls from several threads share the pool's workers.
 * Closing shuts the pool down.
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

    /** One thread, no pool: bodies run on the caller's thread (nothing to close). */
    public static final Parallel SERIAL = new Parallel(1);

    private final int threads;
    private final ForkJoinPool pool;

    /**
     * Creates the pool; one thread runs bodies on the caller's thread with no pool at all.
     *
     * @param threads worker threads, ≥ 1
     * @throws IllegalArgumentException if {@code threads} &lt; 1
     */
    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    /** {@return the number of worker threads, ≥ 1} */
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
        if (chunks == 1 || pool == null) {
            body.run(0, n);
            return;
        }
        int per = ((n + chunks - 1) / chunks + grain - 1) / grain * grain;
        List<ForkJoinTask<?>> tasks = new ArrayList<>(chunks);
        for (int c = 0; c < chunks; c++) {
            int from = c * per, to = Math.min(n, from + per);
            if (from >= to) break;
            tasks.add(pool.submit(() -> body.run(from, to)));
        }
        for (ForkJoinTask<?> t : tasks) t.join();
    }

    /** Shuts the pool down; calls already running finish, later {@link #forRange} calls on more than one range fail. */
    @Override
    public void close() {
        if (pool != null) pool.shutdown();
    }
}
