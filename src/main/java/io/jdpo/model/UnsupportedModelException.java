package io.jdpo.model;

/** A model the Java forward cannot run: unknown architecture, missing tensor, or unsupported settings. */
public final class UnsupportedModelException extends RuntimeException {
    public UnsupportedModelException(String message) {
        super(message);
    }
}
