package io.jdpo.gguf;

/**
 * A tensor's entry in the GGUF header: name, type, shape in ggml order
 * ({@code ne[0]} is the contiguous dimension), and its offset within the data section.
 *
 * @param name the tensor's name, e.g. "blk.0.attn_q.weight"
 * @param type how its values are stored
 * @param ne its shape, 1 to 4 dimensions, innermost first; not copied, do not modify
 * @param offset the byte offset of its data from the start of the data section (not of the
 *        file: add {@link GgufFile#dataStart()})
 */
public record GgufTensorInfo(String name, GgmlType type, long[] ne, long offset) {
    /**
     * {@return the product of the dimensions}
     *
     * @throws ArithmeticException if it overflows a long (never for a tensor of an opened file)
     */
    public long elementCount() {
        long n = 1;
        for (long d : ne) n = Math.multiplyExact(n, d);
        return n;
    }

    /**
     * {@return the bytes of the tensor's data}
     *
     * @throws ArithmeticException if the size overflows a long
     * @throws IllegalArgumentException if the innermost dimension is not a whole number of blocks
     *        (never for a tensor of an opened file)
     */
    public long byteSize() {
        return type.bytesFor(elementCount());
    }
}
