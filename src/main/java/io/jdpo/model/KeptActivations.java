package io.jdpo.model;

import io.jdpo.tensor.Parallel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.util.List;
import java.util.Locale;

/**
 * What a training forward keeps for its backward: every layer's activations in one off-heap
 * slab, and one layer's worth of heap arrays the kernels work in. The forward fills the arrays
 * for a layer and stores them in the layer's part of the slab; the backward loads a layer back
 * before working on it. The heap so holds one layer of activations whatever the depth, and the
 * slab (hundreds of MiB on a 0.5B model) is never scanned or copied by the garbage collector;
 * the model reuses both from step to step. Not thread-safe: it belongs to one pass at a time.
 *
 * <p>A slab the model drops (too small for a longer pass, or the model closed) is freed at once
 * ({@link #free}): left to the collector, a run whose lengths grow would hold every outgrown
 * slab, touched and resident, until an old-generation collection. A pass that is never
 * backpropagated never comes back to the model; its slab is freed when the pass is collected.
 * Reading a freed slab is an {@link IllegalStateException}, never a stray read.
 */
final class KeptActivations {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final Cleaner CLEANER = Cleaner.create();

    private final LayerActivations work;
    private final List<float[]> kept;
    /** Floats a row of all kept arrays takes. */
    private final long rowFloats;
    private final MemorySegment slab;
    /** Closes the slab's arena: once, by {@link #free} or when this becomes unreachable. */
    private final Cleaner.Cleanable freeing;
    private final int layers;
    /** The model's threads, which share the copies. */
    private final Parallel par;
    /** Makes the arrays the slab leaves out again when a layer is loaded. */
    private final DecoderBlock block;
    /** Rows of the current pass, at most the capacity. */
    private int rows;

    /**
     * @param work one layer's arrays, made for a backward, holding T rows
     * @param cfg the model they were made for
     * @param block the model's block, which remakes what the slab leaves out ({@link LayerActivations#kept})
     * @param par the model's threads
     */
    KeptActivations(LayerActivations work, ModelConfig cfg, DecoderBlock block, Parallel par) {
        this.work = work;
        this.block = block;
        this.par = par;
        this.kept = work.kept();
        this.layers = cfg.layers();
        this.rowFloats = LayerActivations.keptRowFloats(cfg, work.lora);
        long w = 0;
        for (float[] x : kept) w += x.length / work.capacity;
        if (w != rowFloats) {
            throw new IllegalStateException("kept arrays take " + w + " floats a row, keptRowFloats says " + rowFloats
                    + ": the two lists disagree");
        }
        long bytes = 4L * layers * work.capacity * rowFloats;
        Arena arena = Arena.ofShared();
        try {
            this.slab = arena.allocate(bytes, 64);
        } catch (OutOfMemoryError e) {
            arena.close();
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "the activations kept for the backward of %d rows need %.0f MiB off the Java heap, more than this JVM may"
                            + " reserve (%s): %s", work.capacity, bytes / 1048576.0, OffHeap.describeLimit(), OffHeap.ADVICE), e);
        }
        // The action holds the arena only, not this object, or this would never become unreachable.
        this.freeing = CLEANER.register(this, arena::close);
    }

    /** Frees the slab now; a pass still holding it can no longer be backpropagated. Idempotent. */
    void free() {
        freeing.clean();
    }

    /** {@return the bytes of this slab} */
    long slabBytes() {
        return slab.byteSize();
    }

    /** {@return whether the slab has been freed} */
    boolean freed() {
        return !slab.scope().isAlive();
    }

    /**
     * {@return the bytes of the slab a pass of T rows reserves, as {@link Transformer} makes it:
     * at T rounded up to 64 rows}
     */
    static long bytes(ModelConfig cfg, LoraConfig lora, int T) {
        return 4L * cfg.layers() * roundedRows(T) * LayerActivations.keptRowFloats(cfg, lora);
    }

    /** Slabs are made for whole multiples of 64 rows, so a run whose lengths vary makes a few, not one per step. */
    static int roundedRows(int T) {
        return (T + 63) & ~63;
    }

    /** {@return whether this holds T rows of a training forward for this adapter config} */
    boolean fits(int T, LoraConfig lora) {
        return work.fits(T, lora);
    }

    int capacity() {
        return work.capacity;
    }

    /** Starts a pass of T rows: {@link #work()} is filled layer by layer, each followed by {@link #store}. */
    void begin(int T) {
        if (T > work.capacity) throw new IllegalArgumentException(T + " rows exceed the capacity of " + work.capacity);
        this.rows = T;
    }

    /** {@return the heap arrays the current layer is computed in or loaded into} */
    LayerActivations work() {
        return work;
    }

    /**
     * Copies the working arrays' rows into layer l's part of the slab, each thread its own rows
     * (a layer is tens of MiB on a 0.5B model: one thread's copies were a few percent of a step).
     */
    void store(int l) {
        copy(l, true);
    }

    /** {@return the working arrays, holding layer l's activations again, the ones not kept made again} */
    LayerActivations load(int l) {
        if (l < 0 || l >= layers) throw new IndexOutOfBoundsException("layer " + l + " of " + layers);
        copy(l, false);
        block.restore(l, work, rows);
        return work;
    }

    /** Rows [r0, r1) of every kept array to (or from) layer l's part of the slab. */
    private void copy(int l, boolean toSlab) {
        par.forRange(rows, 1, (r0, r1) -> {
            long at = offset(l);
            for (float[] x : kept) {
                int width = x.length / work.capacity, from = r0 * width, n = (r1 - r0) * width;
                if (toSlab) MemorySegment.copy(x, from, slab, F, at + 4L * from, n);
                else MemorySegment.copy(slab, F, at + 4L * from, x, from, n);
                at += 4L * rows * width;
            }
        });
    }

    /** Layers are packed at the pass's own row count, so a short pass uses the front of the slab. */
    private long offset(int l) {
        return 4L * l * rows * rowFloats;
    }
}
