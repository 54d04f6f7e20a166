package io.jdpo.llama;

import io.jdpo.bindings.LlamaH;
import io.jdpo.bindings.ggml_to_float_t;
import io.jdpo.bindings.ggml_type_traits;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ggml's own per-row quantizer and dequantizer: the reference that jdpo's Java block
 * formats are held to, and the requantizer merges use. Types are ggml_type ids (see
 * {@link #typeId}). Stateless and thread-safe; every method loads {@link LlamaRuntime} first
 * and so may throw {@link LlamaException} when llama.cpp cannot be loaded. Java arrays are
 * copied to and from short-lived native buffers; nothing native outlives a call.
 */
public final class RowQuantizer {
    private RowQuantizer() {
    }

    /**
     * {@return its ggml_type id}
     *
     * @param name a ggml type name such as "q4_K" or "Q8_0", any case
     * @throws IllegalArgumentException if ggml has no type of that name
     */
    public static int typeId(String name) {
        LlamaRuntime.get();
        int count = LlamaH.GGML_TYPE_COUNT();
        for (int id = 0; id < count; id++) {
            String n = typeName(id);
            if (!n.isEmpty() && n.equalsIgnoreCase(name)) return id;
        }
        throw new IllegalArgumentException("unknown ggml type '" + name + "'");
    }

    /**
     * {@return ggml's name for it ("q4_K"), "" for ids ggml has removed}
     *
     * @param type a ggml_type id
     * @throws IllegalArgumentException if the id is outside [0, GGML_TYPE_COUNT)
     */
    public static String typeName(int type) {
        LlamaRuntime.get();
        checkType(type);
        return Native.string(LlamaH.ggml_type_name(type));
    }

    /**
     * {@return how many values one block of the type holds (1 for F32/F16, 32 or 256 for quantized types)}
     *
     * @param type a ggml_type id
     * @throws IllegalArgumentException if the id is out of range
     */
    public static long blockSize(int type) {
        checkType(type);
        return LlamaH.ggml_blck_size(type);
    }

    /**
     * {@return the bytes one row of {@code n} values takes}
     *
     * @param type a ggml_type id
     * @param n values in the row, a multiple of {@link #blockSize}
     * @throws IllegalArgumentException if the id is out of range or n is not whole blocks
     */
    public static long rowSize(int type, long n) {
        checkType(type);
        checkBlocks(type, n);
        return LlamaH.ggml_row_size(type, n);
    }

    /**
     * {@return whether ggml refuses to quantize to this type without an importance matrix (IQ2_XXS, IQ2_XS, IQ1_S)}
     *
     * @param type a ggml_type id
     * @throws IllegalArgumentException if the id is out of range
     */
    public static boolean requiresImportanceMatrix(int type) {
        checkType(type);
        return LlamaH.ggml_quantize_requires_imatrix(type);
    }

    /**
     * Quantizes {@code rows × perRow} floats (row-major) with ggml_quantize_chunk.
     *
     * @param type the target ggml_type id
     * @param values {@code rows * perRow} values, row after row
     * @param rows the number of rows
     * @param perRow values per row, a multiple of the type's block size
     * @param importance per-column importance weights ({@code perRow} values), or null; required
     *        where {@link #requiresImportanceMatrix} says so
     * @return {@code rows * rowSize(type, perRow)} bytes in ggml's layout
     * @throws IllegalArgumentException if the sizes disagree or a required importance matrix is missing
     * @throws LlamaException if ggml writes an unexpected number of bytes
     */
    public static byte[] quantize(int type, float[] values, int rows, int perRow, float[] importance) {
        checkType(type);
        if ((long) rows * perRow != values.length) {
            throw new IllegalArgumentException(rows + " rows of " + perRow + " need " + (long) rows * perRow
                    + " values, got " + values.length);
        }
        if (perRow % blockSize(type) != 0) {
            throw new IllegalArgumentException("row length " + perRow + " is not a multiple of "
                    + typeName(type) + "'s block size " + blockSize(type));
        }
        if (importance == null && requiresImportanceMatrix(type)) {
            throw new IllegalArgumentException(typeName(type) + " needs an importance matrix");
        }
        if (importance != null && importance.length != perRow) {
            throw new IllegalArgumentException("importance matrix has " + importance.length + " values, rows have " + perRow);
        }
        long bytes = rowSize(type, perRow) * rows;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocateFrom(ValueLayout.JAVA_FLOAT, values);
            MemorySegment dst = arena.allocate(Math.max(1, bytes), 64);
            MemorySegment imatrix = importance == null ? MemorySegment.NULL
                    : arena.allocateFrom(ValueLayout.JAVA_FLOAT, importance);
            long written = LlamaH.ggml_quantize_chunk(type, src, dst, 0, rows, perRow, imatrix);
            if (written != bytes) {
                throw new LlamaException("ggml wrote " + written + " bytes, expected " + bytes);
            }
            return dst.asSlice(0, bytes).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * One row through ggml's {@code from_float_ref} of the type: for Q8_K the very function
     * llama.cpp's CPU backend rounds activations with, for Q8_0/Q8_1 the portable version of
     * the AVX2 one it runs (1/d instead of 127/max, ties away from zero).
     *
     * @param type a ggml_type id
     * @param values one row; its length must be a multiple of the type's block size
     * @return the row in the type's layout, {@code rowSize(type, values.length)} bytes
     * @throws IllegalArgumentException if the id is out of range or the row is not whole blocks
     *                                  (ggml would abort the process on it)
     * @throws LlamaException if ggml has no reference quantizer for the type
     */
    public static byte[] fromFloatRef(int type, float[] values) {
        checkType(type);
        long bytes = rowSize(type, values.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocateFrom(ValueLayout.JAVA_FLOAT, values);
            MemorySegment dst = arena.allocate(Math.max(1, bytes), 64);
            MemorySegment traits = LlamaH.ggml_get_type_traits(type).reinterpret(ggml_type_traits.layout().byteSize());
            MemorySegment fn = ggml_type_traits.from_float_ref(traits);
            if (fn.equals(MemorySegment.NULL)) throw new LlamaException("ggml has no from_float_ref for " + typeName(type));
            io.jdpo.bindings.ggml_from_float_t.invoke(fn, src, dst, values.length);
            return dst.asSlice(0, bytes).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * Dequantizes {@code n} values with ggml's to_float of that type.
     *
     * @param type the data's ggml_type id
     * @param data exactly {@code rowSize(type, n)} bytes
     * @param n values to produce, a multiple of the type's block size
     * @return the values
     * @throws IllegalArgumentException if the sizes disagree or the id is out of range
     * @throws LlamaException if ggml has no dequantizer for the type
     */
    public static float[] dequantize(int type, byte[] data, int n) {
        checkType(type);
        if (n % blockSize(type) != 0 || rowSize(type, n) != data.length) {
            throw new IllegalArgumentException(n + " values of " + typeName(type) + " take " + rowSize(type, n)
                    + " bytes, got " + data.length);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(Math.max(1, data.length), 64);
            MemorySegment.copy(data, 0, src, ValueLayout.JAVA_BYTE, 0, data.length);
            MemorySegment dst = arena.allocate(ValueLayout.JAVA_FLOAT, Math.max(1, n));
            toFloat(type, src, dst, n);
            return dst.asSlice(0, (long) n * Float.BYTES).toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    /**
     * ggml's to_float over native memory; for benchmarks and bulk checks without copies. ggml
     * reads {@code rowSize(type, n)} bytes and writes {@code n} floats without bounds checks,
     * so the segments' sizes are checked here first.
     *
     * @param type the data's ggml_type id
     * @param src at least {@code rowSize(type, n)} bytes
     * @param dst room for at least {@code n} floats
     * @param n values, a multiple of the type's block size
     * @throws IllegalArgumentException if the id is out of range, n is not whole blocks, or a
     *                                  segment is too small
     * @throws LlamaException if ggml has no dequantizer for the type
     */
    public static void toFloat(int type, MemorySegment src, MemorySegment dst, long n) {
        long bytes = rowSize(type, n);
        if (src.byteSize() < bytes || dst.byteSize() < n * Float.BYTES) {
            throw new IllegalArgumentException(n + " values of " + typeName(type) + " read " + bytes + " bytes and write "
                    + n * Float.BYTES + ": the segments hold " + src.byteSize() + " and " + dst.byteSize());
        }
        if (type == LlamaH.GGML_TYPE_F32()) {
            // ggml has no to_float for F32: its data already is floats.
            MemorySegment.copy(src, 0, dst, 0, n * Float.BYTES);
            return;
        }
        MemorySegment traits = LlamaH.ggml_get_type_traits(type).reinterpret(ggml_type_traits.layout().byteSize());
        MemorySegment fn = ggml_type_traits.to_float(traits);
        if (fn.equals(MemorySegment.NULL)) {
            throw new LlamaException("ggml has no dequantizer for " + typeName(type));
        }
        ggml_to_float_t.invoke(fn, src, dst, n);
    }

    private static void checkType(int type) {
        LlamaRuntime.get();
        if (type < 0 || type >= LlamaH.GGML_TYPE_COUNT()) {
            throw new IllegalArgumentException("ggml type id " + type + " outside [0, " + LlamaH.GGML_TYPE_COUNT() + ")");
        }
    }

    private static void checkBlocks(int type, long n) {
        long block = blockSize(type);
        if (n < 0 || n % block != 0) {
            throw new IllegalArgumentException(n + " values are not whole blocks of " + typeName(type) + " (" + block + " values each)");
        }
    }
}
