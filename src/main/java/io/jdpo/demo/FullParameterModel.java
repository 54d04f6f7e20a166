package io.jdpo.demo;

import io.jdpo.gguf.GgmlType;
import io.jdpo.gguf.GgufTensorInfo;
import io.jdpo.gguf.GgufWriter;
import io.jdpo.model.ForwardPass;
import io.jdpo.model.Transformer;
import io.jdpo.model.UnsupportedModelException;
import io.jdpo.model.WeightPlacement;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An F32 model whose every weight is trainable: used only to pretrain the demo model. The
 * weights are copied out of the file mapping into writable memory (matrices into an arena,
 * norm vectors are the float arrays the forward reads), so updating a parameter changes the
 * model; {@link #backward} fills one gradient array per tensor through {@link FullGradients}.
 *
 * <p>It owns the writable copies and the {@link Transformer}: {@link #close()} frees both, and
 * every segment of {@link #parameters()} is unusable after. Not thread-safe.
 */
public final class FullParameterModel implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    /** Every weight by tensor name, in file order: writable F32 segments (vectors: heap segments over the forward's arrays). */
    private final Map<String, MemorySegment> parameters = new LinkedHashMap<>();
    private final Map<String, Boolean> isMatrix = new LinkedHashMap<>();
    private final Transformer tf;

    private FullParameterModel(Path model, int threads) throws IOException {
        this.tf = Transformer.load(model, threads, new WeightPlacement() {
            @Override
            public MemorySegment matrix(GgufTensorInfo t, MemorySegment mapped) {
                if (t.type() != GgmlType.F32) {
                    throw new UnsupportedModelException("full-parameter training needs F32 weights; '" + t.name() + "' is " + t.type());
                }
                MemorySegment copy = arena.allocate(mapped.byteSize(), 64);
                copy.copyFrom(mapped);
                parameters.put(t.name(), copy);
                isMatrix.put(t.name(), true);
                return copy;
            }

            @Override
            public void vector(GgufTensorInfo t, float[] decoded) {
                parameters.put(t.name(), MemorySegment.ofArray(decoded));
                isMatrix.put(t.name(), false);
            }
        });
    }

    /**
     * Opens an F32 model with its weights copied into writable memory.
     *
     * @param model   a GGUF model whose every matrix is F32
     * @param threads worker threads for the forward and backward, ≥ 1
     * @return the model, which the caller closes
     * @throws IOException               if the file cannot be read
     * @throws UnsupportedModelException if a matrix is not F32, or the model is not one the Java forward supports
     */
    public static FullParameterModel load(Path model, int threads) throws IOException {
        return new FullParameterModel(model, threads);
    }

    /** {@return the forward over the writable weights; owned by this model} */
    public Transformer transformer() {
        return tf;
    }

    /** {@return every weight by tensor name, in file order, as writable little-endian F32 segments (an unmodifiable map)} */
    public Map<String, MemorySegment> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /**
     * Whether the tensor is a matrix (weight decay applies) rather than a norm vector.
     *
     * @param name a key of {@link #parameters()}
     * @return true for a matrix
     * @throws NullPointerException if {@code name} is not a parameter
     */
    public boolean isMatrix(String name) {
        return isMatrix.get(name);
    }

    /** {@return a new zeroed gradient array per parameter, of its size, in {@link #parameters()} order} */
    public Map<String, float[]> zeroGradients() {
        Map<String, float[]> g = new LinkedHashMap<>();
        parameters.forEach((k, v) -> g.put(k, new float[(int) (v.byteSize() / Float.BYTES)]));
        return g;
    }

    /**
     * Back-propagates dLoss/dlogp of the pass into {@code grads} (one array per parameter name).
     *
     * @param pass      a forward of {@link #transformer()}, not yet through a backward
     * @param dLogProbs dLoss/dlogp, one per log-prob of the pass
     * @param grads     arrays from {@link #zeroGradients()}; gradients are added to them
     * @throws IllegalStateException    if the pass has been through a backward already
     * @throws IllegalArgumentException if {@code dLogProbs}' length does not match the pass
     */
    public void backward(ForwardPass pass, float[] dLogProbs, Map<String, float[]> grads) {
        tf.backward(pass, dLogProbs, new FullGradients(grads));
    }

    /**
     * Writes the current weights as an F32 GGUF with the original metadata (atomically: a temp file renamed).
     *
     * @param out the file to write; replaced if it exists
     * @throws IOException if it cannot be written
     */
    public void save(Path out) throws IOException {
        GgufWriter w = new GgufWriter();
        w.putAll(tf.file().metadata());
        for (GgufTensorInfo t : tf.file().tensors()) {
            MemorySegment v = parameters.get(t.name());
            w.addTensor(t.name(), t.type(), t.ne(), v != null ? v : tf.file().data(t));
        }
        w.write(out);
    }

    /** Frees the transformer and the writable copies. */
    @Override
    public void close() {
        tf.close();
        arena.close();
    }
}
