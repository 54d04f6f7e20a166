package io.jdpo;

/**
 * The root of every unchecked error jdpo's library throws on purpose (llama.cpp refusals,
 * malformed GGUF or preference files, unsupported models, a refused training run), so an
 * application can catch jdpo's failures in one place and tell them from its own bugs.
 * Programming errors (a null argument, a closed handle) stay the JDK's own
 * IllegalArgumentException and IllegalStateException.
 */
public class JdpoException extends RuntimeException {
    public JdpoException(String message) {
        super(message);
    }

    public JdpoException(String message, Throwable cause) {
        super(message, cause);
    }
}
