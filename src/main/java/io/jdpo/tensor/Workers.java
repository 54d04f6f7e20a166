package io.jdpo.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The worker threads behind {@link Parallel}: each runs its own range of a job while the caller
 * runs the first. Between jobs a worker spins for a while before it parks, and so does the
 * caller waiting for the last range: a training step makes over a thousand jobs of a fraction
 * of a millisecond to a few milliseconds, and a parked thread took about 60 µs to wake on this
 * project's 2-core machines (a pool's wake-up per job cost a few percent of a step), while the
 * gap between two jobs is mostly a few microseconds of serial work.
 *
 * <p>One job at a time: a second caller (another thread, or a body calling {@link Parallel}
 * again, on the caller's thread or a worker's) that finds the workers busy runs all its ranges
 * itself, in order, with the same failure handling. Results do not depend on which thread runs
 * a range, so this changes speed only, never a bit of the output.
 */
final class Workers implements AutoCloseable {
    /** How long a worker, or the waiting caller, spins before it parks. */
    private static final long SPIN_NANOS = 200_000;

    private final Thread[] threads;
    /** 1 while worker w has parked (or is about to): the caller then has to unpark it. */
    private final AtomicIntegerArray parked;
    private final ReentrantLock busy = new ReentrantLock();
    /** The latest job; a worker takes each job it sees once, by identity. */
    private volatile Job job;
    private volatile boolean closed;

    /** One call's ranges, its body, the ranges still running and the first failure. */
    private static final class Job {
        final int[] bounds;
        /** Cleared when the job is done: the job stays referenced until the next one, its body's captured arrays should not. */
        Parallel.Range body;
        final AtomicInteger pending;
        final Thread caller = Thread.currentThread();
        volatile boolean callerParked;
        private Throwable failure;

        Job(int[] bounds, Parallel.Range body) {
            this.bounds = bounds;
            this.body = body;
            this.pending = new AtomicInteger(bounds.length - 2);
        }

        /** Runs range c, keeping whatever it throws for the caller. */
        void range(int c) {
            try {
                if (bounds[c] < bounds[c + 1]) body.run(bounds[c], bounds[c + 1]);
            } catch (Throwable e) {
                failed(e);
            }
        }

        synchronized void failed(Throwable e) {
            if (failure == null) failure = e;
            // The JIT throws one preallocated exception for a hot implicit failure: two ranges may share it.
            else if (e != failure) failure.addSuppressed(e);
        }

        /** Throws the first failure of the job's ranges, if any (the others suppressed in it). */
        void rethrow() {
            Throwable f = failure();
            if (f instanceof RuntimeException e) throw e;
            if (f instanceof Error e) throw e;
            if (f != null) throw new java.lang.reflect.UndeclaredThrowableException(f);
        }

        synchronized Throwable failure() {
            return failure;
        }
    }

    /**
     * Starts the workers (daemon threads: a model left unclosed does not keep the JVM alive).
     *
     * @param count the number of worker threads, ≥ 1
     */
    Workers(int count) {
        threads = new Thread[count];
        parked = new AtomicIntegerArray(count);
        for (int i = 0; i < count; i++) {
            int me = i;
            threads[i] = Thread.ofPlatform().daemon().name("jdpo-kernel-" + (i + 1)).unstarted(() -> work(me));
            threads[i].start();
        }
    }

    /**
     * Runs ranges [bounds[c], bounds[c + 1]): the first on the calling thread, range c + 1 on
     * worker c (empty ranges are skipped). Returns when all are done; the first unchecked
     * exception of a range is rethrown here, after every range has finished.
     *
     * @param bounds one more than the ranges: two to {@code threads + 2} values
     * @param body   the work of one range
     */
    void run(int[] bounds, Parallel.Range body) {
        // Held by this thread: a body of this call calls again, and runs that call itself.
        if (busy.isHeldByCurrentThread() || !busy.tryLock()) {
            if (closed) throw new IllegalStateException("the kernel threads were closed");
            Job j = new Job(bounds, body);
            for (int c = 0; c + 1 < bounds.length; c++) j.range(c);
            j.rethrow();
            return;
        }
        try {
            if (closed) throw new IllegalStateException("the kernel threads were closed");
            Job j = new Job(bounds, body);
            job = j;
            for (int w = 0; w < bounds.length - 2; w++) {
                if (parked.get(w) == 1) LockSupport.unpark(threads[w]);
            }
            j.range(0);
            // Every range finishes before this returns, even after a failure, so none still writes.
            await(j);
            j.body = null;
            j.rethrow();
        } finally {
            busy.unlock();
        }
    }

    /** Waits for the workers' ranges; an interrupt does not cut the wait short, and is kept for the caller. */
    private static void await(Job j) {
        long start = System.nanoTime();
        boolean interrupted = false;
        while (j.pending.get() > 0) {
            if (System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
                continue;
            }
            j.callerParked = true;
            if (j.pending.get() > 0) LockSupport.park(j);
            // A set interrupt flag would make every park return at once: clear it while waiting.
            interrupted |= Thread.interrupted();
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private void work(int me) {
        Job last = null;
        while (true) {
            long start = System.nanoTime();
            Job j;
            while ((j = job) == last) {
                if (closed) return;
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                // Announce the park, then look again: a job published in between is not missed.
                parked.set(me, 1);
                if (job == last && !closed) LockSupport.park(this);
                parked.set(me, 0);
            }
            last = j;
            // A job with fewer ranges than workers leaves the rest out (and cannot finish without the others).
            if (me + 2 >= j.bounds.length) continue;
            try {
                j.range(me + 1);
            } finally {
                // A body may leave this thread interrupted: the next body would see it, and park never wait again.
                Thread.interrupted();
                if (j.pending.decrementAndGet() == 0 && j.callerParked) LockSupport.unpark(j.caller);
            }
        }
    }

    /**
     * Stops the workers: a job in hand (another thread's call) finishes first, later calls on
     * more than one range fail. Not to be called from inside a body.
     */
    @Override
    public void close() {
        busy.lock();
        try {
            closed = true;
        } finally {
            busy.unlock();
        }
        for (Thread t : threads) LockSupport.unpark(t);
    }
}
