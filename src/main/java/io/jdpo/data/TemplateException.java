package io.jdpo.data;

/** A chat template that cannot be used or cannot render a conversation; the message names the template (and Jinja line). */
public final class TemplateException extends RuntimeException {
    public TemplateException(String message) {
        super(message);
    }

    public TemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
