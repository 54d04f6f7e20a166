package io.jdpo.llama;

import io.jdpo.JdpoException;

/** A failure reported by llama.cpp or caught before a call into it could crash the JVM. */
public class LlamaException extends JdpoException {
    public LlamaException(String message) {
        super(message);
    }

    public LlamaException(String message, Throwable cause) {
        super(message, cause);
    }
}
