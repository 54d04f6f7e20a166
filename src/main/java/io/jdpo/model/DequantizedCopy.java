package io.jdpo.model;

import io.jdpo.gguf.GgmlType;
import io.jdpo.gguf.GgufFile;
import io.jdpo.gguf.GgufTensorInfo;
import io.jdpo.gguf.GgufValue;
import io.jdpo.gguf.GgufWriter;
import io.jdpo.tensor.Dequantizer;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * A copy of a model with every tensor that is not F32 decoded to F32 (quantized, F16 and
 * BF16 alike): the same weights, which llama.cpp then multiplies with float activations
 * instead of rounding them first (to 8-bit blocks, or to F16/BF16 for those weights). Scoring this copy with llama.cpp
 * separates llama.cpp's activation rounding from any difference in the Java forward
 * ({@code jdpo parity --dequantized}). Written one tensor at a time, atomically.
 */
public final class DequantizedCopy {
    private DequantizedCopy() {
    }

    /**
     * The bytes of tensor data the copy of a model holds: its F32 tensors as they are, every
     * other tensor at four bytes a value (the file adds its metadata and alignment).
     *
     * @param model the GGUF model
     * @return the copy's tensor bytes
     * @throws IOException if the model cannot be read
     */
    public static long bytes(Path model) throws IOException {
        long sum = 0;
        try (GgufFile f = GgufFile.open(model)) {
            for (GgufTensorInfo t : f.tensors()) sum += t.type() == GgmlType.F32 ? t.byteSize() : 4 * t.elementCount();
        }
        return sum;
    }

    /**
     * Writes the copy.
     *
     * @param model the GGUF model (a single file)
     * @param out   where the copy goes; written to a temporary file and renamed when whole, so an
     *              interrupted run leaves no partial file
     * @throws IOException if the model cannot be read, {@code out} cannot be written, or
     *                     {@code out} is the model itself
     * @throws io.jdpo.tensor.UnsupportedTypeException if a tensor's type cannot be decoded
     */
    public static void write(Path model, Path out) throws IOException {
        if (model.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw new IOException("the dequantized copy " + out + " would overwrite the model it is made from");
        }
        try (GgufFile f = GgufFile.open(model)) {
            GgufWriter w = new GgufWriter().putAll(f.metadata());
            w.put("general.file_type", GgufValue.u32(0)); // llama.cpp's "all F32" (mostly)
            for (GgufTensorInfo t : f.tensors()) {
                if (t.type() == GgmlType.F32) {
                    w.addTensor(t.name(), t.type(), t.ne(), f.data(t));
                } else {
                    w.addTensor(t.name(), GgmlType.F32, t.ne(), () -> MemorySegment.ofArray(Dequantizer.dequantize(f, t)));
                }
            }
            w.write(out);
        }
    }
}
