package io.jdpo.llama;

import io.jdpo.JdpoException;

/** A failure reported by llama.cpp or caught before a call into it could crash the JVM. */
public class LlamaException extends JdpoException {
    /**
     * An error without an underlying cause.
     *
     * @param message what failed, naming the file, value or index at fault
     */
    public LlamaException(String message) {
        super(message);
    }

    /**
     * An error caused by another exception.
     *
     * @param message what failed, naming the file, value or index at fault
     * @param cause the underlying failure (an I/O error, a link error)
     */
    public LlamaException(String message, Throwable cause) {
        super(message, cause);
    }
}
