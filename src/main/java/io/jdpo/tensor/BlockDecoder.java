package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

/**
 * Turns blocks of one ggml type into floats. Each type has a scalar reference that follows
 * ggml's dequantize_row_* arithmetic step for step (so results are bit-identical to ggml's
 * to_float) and a Vector API path that must give the same bits.
 */
interface BlockDecoder {
    GgmlType type();

    /** Decodes {@code blocks} blocks from {@code src[srcOff..]} into {@code dst[dstOff..]}. */
    void scalar(byte[] src, int srcOff, float[] dst, int dstOff, int blocks);

    /** The same through the Vector API. */
    void vector(byte[] src, int srcOff, float[] dst, int dstOff, int blocks);
}
