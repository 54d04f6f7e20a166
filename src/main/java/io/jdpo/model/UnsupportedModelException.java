package io.jdpo.model;

import io.jdpo.JdpoException;

/** A model the Java forward cannot run: unknown architecture, missing tensor, or unsupported settings. */
public final class UnsupportedModelException extends JdpoException {
    /**
     * Creates the exception.
     *
     * @param message what is unsupported, naming the key, tensor or file
     */
    public UnsupportedModelException(String message) {
        super(message);
    }
}
