package io.jdpo.tensor;

import io.jdpo.JdpoException;
import io.jdpo.gguf.GgmlType;

/** A tensor whose ggml type jdpo cannot decode, naming the tensor and the type. */
public final class UnsupportedTypeException extends JdpoException {
    /**
     * Builds the message, which lists the types jdpo does decode.
     *
     * @param tensor the tensor's name, as the file spells it
     * @param type   its type, which jdpo cannot decode
     */
    public UnsupportedTypeException(String tensor, GgmlType type) {
        super("tensor '" + tensor + "' has type " + type + ", which jdpo cannot decode (supported: "
                + Dequantizer.supportedTypes() + ")");
    }
}
