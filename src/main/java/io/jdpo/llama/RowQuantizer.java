package io.jdpo.llama;

import io.jdpo.bindings.LlamaH;
import io.jdpo.bindings.ggml_to_float_t;
import io.jdpo.bindings.ggml_type_traits;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ggml's own per-row quantizer and dequantizer: the reference that jdpo's Java block
 * formats are held to, and the requantizer merges use. Types are ggml_type ids.
 */
public final class RowQuantizer {
    private RowQuantizer() {
    }

    /** The ggml_type id for a name such as "q4_K" or "Q8_0" (case-insensitive). */
    public static int typeId(String name) {
        LlamaRuntime.get();
        int count = LlamaH.GGML_TYPE_COUNT();
        for (int id = 0; id < count; id++) {
            String n = typeName(id);
            if (!n.isEmpty() && n.equalsIgnoreCase(name)) return id;
        }
        throw new IllegalArgumentException("unknown ggml type '" + name + "'");
    }

    /** ggml's name for a type id ("q4_K"), "" for removed ids. */
    public static String typeName(int type) {
        LlamaRuntime.get();
        checkType(type);
        return Native.string(LlamaH.ggml_type_name(type));
    }

    public static long blockSize(int type) {
        checkType(type);
        return LlamaH.ggml_blck_size(type);
    }

    /** Bytes of one row of {@code n} values. */
    public static long rowSize(int type, long n) {
        checkType(type);
        return LlamaH.ggml_row_size(type, n);
    }

    public static boolean requiresImportanceMatrix(int type) {
        checkType(type);
        return LlamaH.ggml_quantize_requires_imatrix(type);
    }

    /** Quantizes {@code rows × perRow} floats (row-major) with ggml_quantize_chunk. */
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

    /** Dequantizes {@code n} values with ggml's to_float of that type. */
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

    /** ggml's to_float over native memory; for benchmarks and bulk checks without copies. */
    public static void toFloat(int type, MemorySegment src, MemorySegment dst, long n) {
        checkType(type);
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
}
