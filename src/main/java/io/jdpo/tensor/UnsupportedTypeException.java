package io.jdpo.tensor;

import io.jdpo.JdpoException;
import io.jdpo.gguf.GgmlType;

/** A tensor whose ggml type jdpo cannot decode, naming the tensor and the type. */
public final class UnsupportedTypeException extends JdpoException {
    public UnsupportedTypeException(String tensor, GgmlType type) {
        super("tensor '" + tensor + "' has type " + type + ", which jdpo cannot decode (supported: "
                + Dequantizer.supportedTypes() + ")");
    }
}
