package io.jdpo.gguf;

/**
 * A tensor's entry in the GGUF header: name, type, shape in ggml order
 * ({@code ne[0]} is the contiguous dimension), and its offset within the data section.
 */
public record GgufTensorInfo(String name, GgmlType type, long[] ne, long offset) {
    public long elementCount() {
        long n = 1;
        for (long d : ne) n = Math.multiplyExact(n, d);
        return n;
    }

    public long byteSize() {
        return type.bytesFor(elementCount());
    }
}
