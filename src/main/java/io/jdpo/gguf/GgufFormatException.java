package io.jdpo.gguf;

import io.jdpo.JdpoException;

import java.nio.file.Path;

/** A GGUF file that breaks the format, with the file and byte offset where it does. */
public final class GgufFormatException extends JdpoException {
    /** The byte offset of the offending field, from the start of the file. */
    private final long offset;

    /**
     * A format error at a byte offset; the message reads "FILE at byte OFFSET: PROBLEM".
     *
     * @param file the file at fault (or the shard, for a split model)
     * @param offset the byte offset of the offending field from the start of the file; 0 for
     *        problems of the file as a whole
     * @param problem what is wrong, naming the key, tensor or value
     */
    public GgufFormatException(Path file, long offset, String problem) {
        super(file + " at byte " + offset + ": " + problem);
        this.offset = offset;
    }

    /** {@return the byte offset of the offending field (0 for the file as a whole)} */
    public long offset() {
        return offset;
    }
}
