package io.jdpo.model;

import io.jdpo.gguf.GgufTensorInfo;

import java.lang.foreign.MemorySegment;

/**
 * Where {@link ModelWeights} keeps each tensor it loads. The forward reads weights in place
 * from the file mapping ({@link #IN_PLACE}); full-parameter training (the demo model's
 * pretraining) places them in writable memory it owns instead, and updates them there.
 */
public interface WeightPlacement {
    /** Read-only, straight from the mapping: what every forward and LoRA training use. */
    WeightPlacement IN_PLACE = new WeightPlacement() {
    };

    /**
     * The segment the forward reads matrix {@code t} from, given its bytes in the file mapping.
     *
     * @param t      the tensor
     * @param mapped its bytes in the mapping (read-only, valid while the model is open)
     * @return the bytes to read: {@code mapped} itself by default, or a copy of the same size and
     *         type the placement owns (and must keep alive while the model is used)
     */
    default MemorySegment matrix(GgufTensorInfo t, MemorySegment mapped) {
        return mapped;
    }

    /**
     * Called with each small vector (norm weights, biases, rope factors) once decoded to floats;
     * the forward reads that array, so writes to it change the model. Does nothing by default.
     *
     * @param t       the tensor
     * @param decoded its values, the array the forward keeps
     */
    default void vector(GgufTensorInfo t, float[] decoded) {
    }
}
