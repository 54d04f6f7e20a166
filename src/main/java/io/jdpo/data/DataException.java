package io.jdpo.data;

/** Bad preference data, with the file, line (and column or field) it was found at. */
public final class DataException extends RuntimeException {
    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
