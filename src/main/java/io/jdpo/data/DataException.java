package io.jdpo.data;

import io.jdpo.JdpoException;

/** Bad preference data, with the file, line (and column or field) it was found at. */
public final class DataException extends JdpoException {
    /**
     * Creates the exception.
     *
     * @param message what is wrong, starting with "file:line:column" or the row
     */
    public DataException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what is wrong, starting with "file:line:column" or the row
     * @param cause   the parser's or stream's exception
     */
    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
