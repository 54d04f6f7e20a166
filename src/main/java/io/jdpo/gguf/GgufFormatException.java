package io.jdpo.gguf;

import io.jdpo.JdpoException;

import java.nio.file.Path;

/** A GGUF file that breaks the format, with the file and byte offset where it does. */
public final class GgufFormatException extends JdpoException {
    private final long offset;

    public GgufFormatException(Path file, long offset, String problem) {
        super(file + " at byte " + offset + ": " + problem);
        this.offset = offset;
    }

    public long offset() {
        return offset;
    }
}
