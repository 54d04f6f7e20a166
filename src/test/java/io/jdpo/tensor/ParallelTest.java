package io.jdpo.tensor;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

class ParallelTest {
    @Test
    void everyIndexOnceInRangesOfWholeGrains() {
        for (int threads = 1; threads <= 4; threads++) {
            try (Parallel par = new Parallel(threads)) {
                for (int n : new int[]{0, 1, 5, 16, 17, 100, 1023}) {
                    for (int grain : new int[]{1, 4, 16}) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        List<int[]> ranges = java.util.Collections.synchronizedList(new ArrayList<>());
                        par.forRange(n, grain, (from, to) -> {
                            ranges.add(new int[]{from, to});
                            for (int i = from; i < to; i++) hits.incrementAndGet(i);
                        });
                        for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " of " + n);
                        assertTrue(ranges.size() <= threads);
                        for (int[] r : ranges) {
                            assertEquals(0, r[0] % grain, "a range starts on a grain");
                            assertTrue(r[1] == n || (r[1] - r[0]) % grain == 0, "only the last range is cut short");
                        }
                    }
                }
            }
        }
    }

    @Test
    void weightedRangesCoverEveryIndexOnceAndShareTheWork() {
        int n = 384;
        try (Parallel par = new Parallel(2)) {
            // Causal attention's rows: row t costs t + 1 cells.
            List<int[]> ranges = java.util.Collections.synchronizedList(new ArrayList<>());
            AtomicIntegerArray hits = new AtomicIntegerArray(n);
            par.forRangeWeighted(n, t -> t + 1, (from, to) -> {
                ranges.add(new int[]{from, to});
                for (int i = from; i < to; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < n; i++) assertEquals(1, hits.get(i));
            assertEquals(2, ranges.size());
            long[] work = new long[2];
            for (int[] r : ranges) work[r[0] == 0 ? 0 : 1] = (long) (r[1] - r[0]) * (r[0] + r[1] + 1) / 2;
            // The equal-length split gives the later rows three times the work; this one within a row of half.
            assertEquals(work[0], work[1], n, "work per thread " + work[0] + " and " + work[1]);
            // All the weight on one index, or none at all: still every index once.
            for (long[] weights : new long[][]{new long[n], oneHeavy(n, 7)}) {
                AtomicIntegerArray again = new AtomicIntegerArray(n);
                par.forRangeWeighted(n, t -> weights[t], (from, to) -> {
                    for (int i = from; i < to; i++) again.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertEquals(1, again.get(i));
            }
        }
    }

    private static long[] oneHeavy(int n, int at) {
        long[] w = new long[n];
        w[at] = 1000;
        return w;
    }

    @Test
    void rangesRunAtTheSameTimeOnTheCallerAndTheWorkers() {
        for (int threads = 2; threads <= 4; threads++) {
            try (Parallel par = new Parallel(threads)) {
                CyclicBarrier all = new CyclicBarrier(threads);
                Thread caller = Thread.currentThread();
                AtomicInteger onCaller = new AtomicInteger();
                // Each range waits for every other: this returns only if all run concurrently.
                par.forRange(threads, 1, (from, to) -> {
                    if (Thread.currentThread() == caller) onCaller.incrementAndGet();
                    try {
                        all.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
                        throw new AssertionError("ranges did not run concurrently", e);
                    }
                });
                assertEquals(1, onCaller.get(), "the caller runs one range itself");
            }
        }
    }

    @Test
    void aWorkersFailureIsRethrownAfterEveryRangeFinished() {
        try (Parallel par = new Parallel(3)) {
            AtomicInteger finished = new AtomicInteger();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> par.forRange(3, 1, (from, to) -> {
                if (from == 2) throw new IllegalStateException("range 2");
                sleep(20);
                finished.incrementAndGet();
            }));
            assertEquals("range 2", e.getMessage());
            assertEquals(2, finished.get(), "the other ranges finished before the call returned");
            // The caller's own failure waits for the workers too; both failures are kept, whichever came first.
            AtomicInteger done = new AtomicInteger();
            RuntimeException first = assertThrows(RuntimeException.class, () -> par.forRange(3, 1, (from, to) -> {
                if (from == 0) throw new IllegalArgumentException("range 0");
                sleep(20);
                if (from == 1) throw new ArithmeticException("range 1");
                done.incrementAndGet();
            }));
            assertEquals(1, done.get());
            assertEquals(1, first.getSuppressed().length);
            assertEquals(java.util.Set.of("range 0", "range 1"), java.util.Set.of(first.getMessage(), first.getSuppressed()[0].getMessage()));
            // Two ranges throwing one instance (the JIT's preallocated implicit exceptions): that one, nothing suppressed.
            IllegalStateException shared = new IllegalStateException("shared");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> par.forRange(3, 1, (from, to) -> {
                throw shared;
            }));
            assertSame(shared, thrown);
            assertEquals(0, thrown.getSuppressed().length);
            // And the workers still run the next call.
            AtomicLong sum = new AtomicLong();
            par.forRange(1000, 1, (from, to) -> {
                for (int i = from; i < to; i++) sum.addAndGet(i);
            });
            assertEquals(999L * 1000 / 2, sum.get());
        }
    }

    @Test
    void parkedWorkersAndCallerWakeUp() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Parallel par = new Parallel(2)) {
                for (int round = 0; round < 10; round++) {
                    // Longer than the workers spin: they park between calls.
                    sleep(3);
                    AtomicLong sum = new AtomicLong();
                    // The worker's range outlasts the caller's spin: the caller parks until it is done.
                    par.forRange(2, 1, (from, to) -> {
                        if (from == 1) sleep(3);
                        sum.addAndGet(from + 1);
                    });
                    assertEquals(3, sum.get());
                }
            }
        });
    }

    @Test
    void aNestedCallRunsOnItsOwnThreadWhileTheWorkerIsParked() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Parallel par = new Parallel(2)) {
                for (int round = 0; round < 5; round++) {
                    sleep(3);
                    AtomicLong inner = new AtomicLong();
                    AtomicInteger elsewhere = new AtomicInteger();
                    // Both ranges call again: the caller's inner call must not take the parked worker
                    // (the outer call still needs it), the worker's finds it busy; both run serially.
                    par.forRange(2, 1, (from, to) -> {
                        Thread outer = Thread.currentThread();
                        par.forRange(100, 1, (a, b) -> {
                            if (Thread.currentThread() != outer) elsewhere.incrementAndGet();
                            inner.addAndGet(b - a);
                        });
                    });
                    assertEquals(200, inner.get());
                    assertEquals(0, elsewhere.get(), "inner calls ran on their callers' threads");
                }
            }
        });
    }

    @Test
    void closingWaitsForTheCallInHandAndAWorkerLeftInterruptedRecovers() throws Exception {
        Parallel par = new Parallel(2);
        AtomicInteger interruptedBodies = new AtomicInteger();
        // A body that leaves its worker interrupted: later bodies on that thread start clear.
        par.forRange(2, 1, (from, to) -> {
            if (from == 1) Thread.currentThread().interrupt();
        });
        for (int call = 0; call < 100; call++) {
            par.forRange(2, 1, (from, to) -> {
                if (from == 1 && Thread.currentThread().isInterrupted()) interruptedBodies.incrementAndGet();
            });
        }
        assertEquals(0, interruptedBodies.get());
        // Closed from another thread while a call runs: the call finishes, later ones fail.
        java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        Thread closer = Thread.ofPlatform().unstarted(() -> {
            try {
                running.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            par.close();
        });
        closer.start();
        par.forRange(2, 1, (from, to) -> {
            running.countDown();
            sleep(20);
            finished.incrementAndGet();
        });
        closer.join(10_000);
        assertFalse(closer.isAlive());
        assertEquals(2, finished.get());
        assertThrows(IllegalStateException.class, () -> par.forRange(10, 1, (from, to) -> { }));
    }

    @Test
    void manyShortCallsNestedCallsAndSeveralCallersAllComplete() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Parallel par = new Parallel(2)) {
                long[] out = new long[64];
                for (int call = 0; call < 20_000; call++) {
                    int c = call;
                    par.forRange(out.length, 1, (from, to) -> {
                        for (int i = from; i < to; i++) out[i] = c + i;
                    });
                    for (int i = 0; i < out.length; i += 21) assertEquals(c + i, out[i]);
                }
                // A body that calls the same Parallel runs the inner call on its own thread.
                AtomicLong inner = new AtomicLong();
                par.forRange(4, 1, (from, to) -> {
                    for (int i = from; i < to; i++) par.forRange(100, 1, (a, b) -> inner.addAndGet(b - a));
                });
                assertEquals(400, inner.get());
                // Several threads calling at once: each call still covers its indices once.
                List<Thread> callers = new ArrayList<>();
                AtomicLong total = new AtomicLong();
                for (int t = 0; t < 4; t++) {
                    callers.add(Thread.ofPlatform().start(() -> {
                        for (int k = 0; k < 2000; k++) par.forRange(10, 1, (from, to) -> total.addAndGet(to - from));
                    }));
                }
                for (Thread t : callers) t.join();
                assertEquals(4 * 2000 * 10, total.get());
            }
        });
    }

    /** The workers remember the last call until the next one, but not what its body captured (a step's arrays). */
    @Test
    void aFinishedCallDoesNotKeepWhatItsBodyCaptured() throws Exception {
        try (Parallel par = new Parallel(2)) {
            java.lang.ref.WeakReference<float[]> captured = callCapturing(par);
            for (int i = 0; i < 50 && captured.get() != null; i++) {
                System.gc();
                Thread.sleep(10);
            }
            assertNull(captured.get(), "the body's array is still reachable after the call");
        }
    }

    private static java.lang.ref.WeakReference<float[]> callCapturing(Parallel par) {
        float[] big = new float[1 << 20];
        par.forRange(2, 1, (from, to) -> big[from] = to);
        return new java.lang.ref.WeakReference<>(big);
    }

    @Test
    void aClosedParallelRefusesWorkForItsWorkers() {
        Parallel par = new Parallel(2);
        par.close();
        assertThrows(IllegalStateException.class, () -> par.forRange(10, 1, (from, to) -> { }));
        // A call that makes one range never needed the workers.
        AtomicInteger ran = new AtomicInteger();
        par.forRange(1, 1, (from, to) -> ran.incrementAndGet());
        assertEquals(1, ran.get());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
