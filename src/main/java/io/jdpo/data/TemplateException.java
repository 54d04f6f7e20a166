package io.jdpo.data;

/** A chat template that cannot be used or cannot render a conversation; the message names the template (and Jinja line). */
public final class TemplateException extends RuntimeException {
    /**
     * Creates the exception.
     *
     * @param message what is wrong, naming the template
     */
    public TemplateException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what is wrong, naming the template
     * @param cause   the engine's exception (Jinjava's or llama.cpp's)
     */
    public TemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
