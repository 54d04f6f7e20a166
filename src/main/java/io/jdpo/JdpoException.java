package io.jdpo;

/**
 * The root of every unchecked error jdpo's library throws on purpose (llama.cpp refusals,
 * malformed GGUF or preference files, unsupported models, a refused training run), so an
 * application can catch jdpo's failures in one place and tell them from its own bugs.
 * Programming errors (a null argument, a closed handle) stay the JDK's own
 * IllegalArgumentException and IllegalStateException.
 */
public class JdpoException extends RuntimeException {
    /**
     * An error without an underlying cause.
     *
     * @param message what failed, naming the file, line, field or offset at fault
     */
    public JdpoException(String message) {
        super(message);
    }

    /**
     * An error caused by another exception (an I/O error, a parse error).
     *
     * @param message what failed, naming the file, line, field or offset at fault
     * @param cause the underlying failure
     */
    public JdpoException(String message, Throwable cause) {
        super(message, cause);
    }
}
