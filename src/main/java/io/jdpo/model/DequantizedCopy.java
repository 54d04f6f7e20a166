package io.jdpo.model;

import io.jdpo.gguf.GgmlType;
import io.jdpo.gguf.GgufFile;
import io.jdpo.gguf.GgufTensorInfo;
import io.jdpo.gguf.GgufValue;
import io.jdpo.gguf.GgufValueType;
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
     * The bytes of tensor data a copy of a model's first k blocks holds ({@link #firstLayers}),
     * for every k from 0 to the model's block count (the last, the whole copy of {@link #write}):
     * F32 tensors as they are, every other tensor at four bytes a value, the tensors outside the
     * blocks in every entry (the file adds its metadata and alignment). One pass over the
     * file's tensor table.
     *
     * @param model the GGUF model
     * @return entry k: the tensor bytes of a copy of blocks [0, k)
     * @throws IOException if the model cannot be read
     */
    public static long[] bytesByBlocks(Path model) throws IOException {
        try (GgufFile f = GgufFile.open(model)) {
            long[] out = new long[blockCount(f) + 1];
            for (GgufTensorInfo t : f.tensors()) {
                long bytes = t.type() == GgmlType.F32 ? t.byteSize() : 4 * t.elementCount();
                // A block's tensors count from the entry after it on; the others in every entry.
                for (int k = block(t.name()) + 1; k < out.length; k++) out[k] += bytes;
            }
            return out;
        }
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
        copy(model, out, Integer.MAX_VALUE, true);
    }

    /**
     * Writes a model of the first {@code layers} blocks of {@code model} (its embeddings, final
     * norm and output as they are; {@code block_count} and any per-block metadata array cut to
     * match), decoded to F32 as {@link #write} does or with every tensor as stored: the pair a
     * check of the Java forward runs on when a copy of the whole model would be too large. A
     * block's function does not depend on the blocks after it, so the first blocks of the two
     * files compute the same numbers as they do in the whole model.
     *
     * @param model   the GGUF model
     * @param out     where the copy goes, written atomically
     * @param layers  how many blocks, from the first (at least 1)
     * @param decoded true for F32 tensors, false for the tensors as stored
     * @throws IOException as {@link #write}
     * @throws IllegalArgumentException if layers is below 1
     */
    public static void firstLayers(Path model, Path out, int layers, boolean decoded) throws IOException {
        if (layers < 1) throw new IllegalArgumentException("a model needs a block, not " + layers);
        copy(model, out, layers, decoded);
    }

    private static void copy(Path model, Path out, int layers, boolean decoded) throws IOException {
        if (model.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw new IOException("the copy " + out + " would overwrite the model it is made from");
        }
        try (GgufFile f = GgufFile.open(model)) {
            GgufWriter w = new GgufWriter().putAll(f.metadata());
            if (decoded) w.put("general.file_type", GgufValue.u32(0)); // llama.cpp's "all F32" (mostly)
            String arch = f.getString("general.architecture") + ".";
            int blocks = blockCount(f);
            if (layers < blocks) {
                w.put(arch + "block_count", GgufValue.u32(layers));
                // Per-block settings (head counts, window patterns, ...) come as arrays of block_count entries.
                f.metadata().forEach((key, v) -> {
                    if (!key.startsWith(arch) || v.type() != GgufValueType.ARRAY) return;
                    java.util.List<?> values = (java.util.List<?>) v.detached().value();
                    if (values.size() == blocks) w.put(key, GgufValue.array(v.elementType(), values.subList(0, layers)));
                });
            }
            for (GgufTensorInfo t : f.tensors()) {
                if (block(t.name()) >= layers) continue;
                if (t.type() == GgmlType.F32 || !decoded) {
                    w.addTensor(t.name(), t.type(), t.ne(), f.data(t));
                } else {
                    w.addTensor(t.name(), GgmlType.F32, t.ne(), () -> MemorySegment.ofArray(Dequantizer.dequantize(f, t)));
                }
            }
            w.write(out);
        }
    }

    private static int blockCount(GgufFile f) {
        return Math.toIntExact(f.metadata().get(f.getString("general.architecture") + ".block_count").asLong());
    }

    /** The block a tensor belongs to (blk.N.*), or −1 for the tensors outside the blocks, which every copy holds. */
    private static int block(String name) {
        return name.startsWith("blk.") ? Integer.parseInt(name.substring(4, name.indexOf('.', 4))) : -1;
    }
}
