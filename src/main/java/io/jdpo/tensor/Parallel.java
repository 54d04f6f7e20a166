package io.jdpo.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * A fixed number of worker threads for the kernels. Work is split into one contiguous range
 * per thread (kernels are uniform), so a run's arithmetic, and hence its result, does not
 * depend on timing.
 */
public final class Parallel implements AutoCloseable {
    /** Body of a parallel loop over [from, to). */
    public interface Range {
        void run(int from, int to);
    }

    private final int threads;
    private final ForkJoinPool pool;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    public int threads() {
        return threads;
    }

    /** Runs body over [0, n) split into at most {@code threads} ranges, each a multiple of {@code grain} but the last. */
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

    @Override
    public void close() {
        if (pool != null) pool.shutdown();
    }
}
