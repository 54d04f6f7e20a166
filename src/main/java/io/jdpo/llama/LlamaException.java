package io.jdpo.llama;

/** A failure reported by llama.cpp or caught before a call into it could crash the JVM. */
public class LlamaException extends RuntimeException {
    public LlamaException(String message) {
        super(message);
    }

    public LlamaException(String message, Throwable cause) {
        super(message, cause);
    }
}
