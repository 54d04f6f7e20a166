package io.jdpo.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file opened read-only and memory-mapped: metadata, tensor infos, and tensor data as
 * slices of the mapping (no copy). Every read is bounds-checked against the file, every size
 * is checked before it is used, and a violation raises {@link GgufFormatException} with the
 * byte offset.
 *
 * <p>Layout (GGUF v2/v3, little-endian): magic "GGUF", u32 version, u64 tensor count, u64
 * metadata count, the metadata key/value pairs, the tensor infos, padding to
 * {@code general.alignment} (default 32), then the data section.
 *
 * <p>The mapping is owned by a shared arena and unmapped by {@link #close()}; segments and
 * array views taken from the file then throw {@link IllegalStateException} on access. An open
 * file is immutable and may be read from any number of threads.
 */
public final class GgufFile implements AutoCloseable {
    /** The first four bytes, "GGUF", read as a little-endian u32. */
    public static final int MAGIC = 0x46554747;
    /** The data alignment in bytes when a file has no {@code general.alignment}. */
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MAX_DIMS = 4;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, GgufValue> metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> byName;
    private final int alignment;
    private final long dataStart;

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        Cursor c = new Cursor();
        if (file.byteSize() < 24) {
            throw fail(0, "file of " + file.byteSize() + " bytes is too short for a GGUF header");
        }
        int magic = c.u32();
        if (magic != MAGIC) {
            throw fail(0, String.format("bad magic 0x%08x (expected \"GGUF\")", magic));
        }
        version = c.u32();
        if (version != 2 && version != 3) {
            throw fail(4, "unsupported GGUF version " + Integer.toUnsignedString(version) + " (2 and 3 are)");
        }
        long tensorCount = c.u64();
        long kvCount = c.u64();
        // Each tensor info takes at least 8+4+8+4+8 bytes, each key/value at least 8+4+1.
        if (tensorCount < 0 || tensorCount > c.remaining() / 32) {
            throw fail(8, "tensor count " + Long.toUnsignedString(tensorCount) + " cannot fit in the file");
        }
        if (kvCount < 0 || kvCount > c.remaining() / 13) {
            throw fail(16, "metadata count " + Long.toUnsignedString(kvCount) + " cannot fit in the file");
        }
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = c.pos;
            String key = c.string();
            int typeId = c.u32();
            GgufValueType type = GgufValueType.byId(typeId);
            if (type == null) {
                throw fail(c.pos - 4, "unknown value type " + Integer.toUnsignedString(typeId) + " for key '" + key + "'");
            }
            GgufValue value = c.value(type, 0);
            if (kv.putIfAbsent(key, value) != null) {
                throw fail(at, "duplicate metadata key '" + key + "'");
            }
        }
        metadata = Collections.unmodifiableMap(kv);
        GgufValue align = kv.get("general.alignment");
        if (align != null) {
            long a = align.type() == GgufValueType.UINT32 || align.type() == GgufValueType.INT32 ? align.asLong() : -1;
            if (a <= 0 || (a & (a - 1)) != 0 || a > (1 << 20)) {
                throw fail(0, "general.alignment must be a power of two u32, got " + align.value());
            }
            alignment = (int) a;
        } else {
            alignment = DEFAULT_ALIGNMENT;
        }
        List<GgufTensorInfo> infos = new ArrayList<>((int) tensorCount);
        Map<String, GgufTensorInfo> names = new LinkedHashMap<>();
        List<Long> infoOffsets = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            long at = c.pos;
            String name = c.string();
            int nDims = c.u32();
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw fail(c.pos - 4, "tensor '" + name + "' has " + Integer.toUnsignedString(nDims) + " dimensions (1 to 4 allowed)");
            }
            long[] ne = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                ne[d] = c.u64();
                if (ne[d] <= 0) {
                    throw fail(c.pos - 8, "tensor '" + name + "' dimension " + d + " is " + Long.toUnsignedString(ne[d]));
                }
                try {
                    elements = Math.multiplyExact(elements, ne[d]);
                } catch (ArithmeticException e) {
                    throw fail(c.pos - 8, "tensor '" + name + "' element count overflows");
                }
            }
            int typeId = c.u32();
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) {
                throw fail(c.pos - 4, "tensor '" + name + "' has unknown type " + Integer.toUnsignedString(typeId));
            }
            if (ne[0] % type.blockSize() != 0) {
                throw fail(c.pos - 4, "tensor '" + name + "' row of " + ne[0] + " is not a whole number of "
                        + type + " blocks of " + type.blockSize());
            }
            long offset = c.u64();
            if (offset % alignment != 0) {
                throw fail(c.pos - 8, "tensor '" + name + "' data offset " + offset + " is not aligned to " + alignment);
            }
            GgufTensorInfo info = new GgufTensorInfo(name, type, ne, offset);
            try {
                info.byteSize();
            } catch (ArithmeticException e) {
                throw fail(at, "tensor '" + name + "' byte size overflows");
            }
            if (names.putIfAbsent(name, info) != null) {
                throw fail(at, "duplicate tensor name '" + name + "'");
            }
            infos.add(info);
            infoOffsets.add(at);
        }
        dataStart = align(c.pos, alignment);
        long dataSize = file.byteSize() - dataStart;
        // Tensors must lie inside the data section and must not overlap one another.
        Integer[] order = new Integer[infos.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingLong(i -> infos.get(i).offset()));
        long end = 0;
        for (int idx : order) {
            GgufTensorInfo t = infos.get(idx);
            long size = t.byteSize();
            if (t.offset() < 0 || t.offset() > dataSize || size > dataSize - t.offset()) {
                throw fail(infoOffsets.get(idx), "tensor '" + t.name() + "' data [" + t.offset() + ", +" + size
                        + ") lies outside the data section of " + Math.max(0, dataSize) + " bytes");
            }
            if (t.offset() < end) {
                throw fail(infoOffsets.get(idx), "tensor '" + t.name() + "' data overlaps the previous tensor");
            }
            end = t.offset() + size;
        }
        tensors = List.copyOf(infos);
        byName = Collections.unmodifiableMap(names);
    }

    /**
     * Opens and validates a GGUF file: header, every metadata value, every tensor info, and
     * that tensor data lies inside the file without overlapping. The mapping lives until
     * {@link #close()}.
     *
     * @param path the file
     * @return the open file; the caller closes it
     * @throws IOException if the file cannot be opened or mapped
     * @throws GgufFormatException if the file breaks the format; the message names the file
     *         and byte offset
     */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.size() == 0 ? MemorySegment.NULL.reinterpret(0)
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufFile(path, arena, seg);
        } catch (RuntimeException | IOException e) {
            arena.close();
            throw e;
        }
    }

    static long align(long pos, int alignment) {
        return (pos + alignment - 1) / alignment * alignment;
    }

    /** {@return the path the file was opened from} */
    public Path path() {
        return path;
    }

    /** {@return the GGUF version, 2 or 3} */
    public int version() {
        return version;
    }

    /** {@return the data alignment in bytes: {@code general.alignment}, or 32} */
    public int alignment() {
        return alignment;
    }

    /** {@return the byte offset in the file where tensor data begins} */
    public long dataStart() {
        return dataStart;
    }

    /**
     * {@return every metadata entry in file order (unmodifiable); array values are views valid
     * until close}
     */
    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    /**
     * {@return its value, or null when the file has no such key}
     *
     * @param key a metadata key
     */
    public GgufValue get(String key) {
        return metadata.get(key);
    }

    /**
     * {@return its string value}
     *
     * @param key a metadata key
     * @throws GgufFormatException if the key is missing or not a string (offset 0)
     */
    public String getString(String key) {
        GgufValue v = metadata.get(key);
        if (v == null || v.type() != GgufValueType.STRING) {
            throw new GgufFormatException(path, 0, "metadata key '" + key + "' missing or not a string");
        }
        return v.asString();
    }

    /** {@return the tensor infos in file order (unmodifiable)} */
    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    /**
     * {@return its info}
     *
     * @param name a tensor name
     * @throws IllegalArgumentException if the file has no such tensor
     */
    public GgufTensorInfo tensor(String name) {
        GgufTensorInfo t = byName.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in " + path);
        }
        return t;
    }

    /**
     * {@return whether the file has a tensor of that name}
     *
     * @param name a tensor name
     */
    public boolean hasTensor(String name) {
        return byName.containsKey(name);
    }

    /**
     * The tensor's bytes, a read-only slice of the mapping (no copy).
     *
     * @param t a tensor info of this file
     * @return its bytes; reading them after {@link #close()} throws IllegalStateException
     */
    public MemorySegment data(GgufTensorInfo t) {
        return file.asSlice(dataStart + t.offset(), t.byteSize());
    }

    /**
     * The bytes of the named tensor, as {@link #data(GgufTensorInfo)}.
     *
     * @param name a tensor name
     * @return its bytes; reading them after {@link #close()} throws IllegalStateException
     * @throws IllegalArgumentException if the file has no such tensor
     */
    public MemorySegment data(String name) {
        return data(tensor(name));
    }

    /**
     * Unmaps the file. Waits for nothing: a read on another thread at that moment fails with
     * {@link IllegalStateException}, it does not crash.
     *
     * @throws IllegalStateException if the file is already closed
     */
    @Override
    public void close() {
        arena.close();
    }

    private GgufFormatException fail(long offset, String problem) {
        return new GgufFormatException(path, offset, problem);
    }

    /** Reads values forward from the mapping, never past its end. */
    private final class Cursor {
        long pos;

        Cursor() {
        }

        Cursor(long pos) {
            this.pos = pos;
        }

        long remaining() {
            return file.byteSize() - pos;
        }

        private void need(long n, String what) {
            if (n < 0 || n > remaining()) {
                throw fail(pos, what + " of " + Long.toUnsignedString(n) + " bytes runs past the end of the file ("
                        + file.byteSize() + " bytes)");
            }
        }

        int u32() {
            need(4, "u32");
            int v = file.get(U32, pos);
            pos += 4;
            return v;
        }

        long u64() {
            need(8, "u64");
            long v = file.get(U64, pos);
            pos += 8;
            return v;
        }

        String string() {
            long at = pos;
            long len = u64();
            need(len, "string");
            if (len > Integer.MAX_VALUE - 16) {
                throw fail(at, "string length " + Long.toUnsignedString(len) + " too large");
            }
            byte[] bytes = file.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw fail(at + 8, "string is not valid UTF-8");
            }
        }

        GgufValue value(GgufValueType type, int depth) {
            return switch (type) {
                case UINT8 -> { need(1, "u8"); long v = file.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF; yield new GgufValue(type, v, null); }
                case INT8 -> { need(1, "i8"); long v = file.get(ValueLayout.JAVA_BYTE, pos++); yield new GgufValue(type, v, null); }
                case UINT16, INT16 -> {
                    need(2, "16-bit value");
                    int lo = file.get(ValueLayout.JAVA_BYTE, pos) & 0xFF, hi = file.get(ValueLayout.JAVA_BYTE, pos + 1);
                    pos += 2;
                    long v = type == GgufValueType.UINT16 ? ((hi & 0xFF) << 8 | lo) : (short) (hi << 8 | lo);
                    yield new GgufValue(type, v, null);
                }
                case UINT32 -> new GgufValue(type, Integer.toUnsignedLong(u32()), null);
                case INT32 -> new GgufValue(type, (long) u32(), null);
                case FLOAT32 -> new GgufValue(type, Float.intBitsToFloat(u32()), null);
                case UINT64, INT64 -> new GgufValue(type, u64(), null);
                case FLOAT64 -> new GgufValue(type, Double.longBitsToDouble(u64()), null);
                case BOOL -> {
                    need(1, "bool");
                    byte b = file.get(ValueLayout.JAVA_BYTE, pos);
                    if (b != 0 && b != 1) throw fail(pos, "bool value " + b + " is neither 0 nor 1");
                    pos++;
                    yield new GgufValue(type, b == 1, null);
                }
                case STRING -> new GgufValue(type, string(), null);
                case ARRAY -> array(depth);
            };
        }

        private GgufValue array(int depth) {
            long at = pos;
            if (depth > 8) throw fail(at, "arrays nested deeper than 8");
            int elemId = u32();
            GgufValueType elem = GgufValueType.byId(elemId);
            if (elem == null) throw fail(at, "unknown array element type " + Integer.toUnsignedString(elemId));
            long n = u64();
            long minSize = elem.size > 0 ? elem.size : elem == GgufValueType.STRING ? 8 : 12;
            if (n < 0 || n > remaining() / minSize) {
                throw fail(at + 4, "array of " + Long.toUnsignedString(n) + " " + elem + " values runs past the end of the file");
            }
            if (n > Integer.MAX_VALUE - 8) {
                throw fail(at + 4, "array of " + n + " values is longer than a Java list can index");
            }
            int count = (int) n;
            long start = pos;
            GgufArray view;
            if (elem.size > 0) {
                // Fixed-size elements: validate (bools must be 0 or 1), then read on demand.
                if (elem == GgufValueType.BOOL) {
                    for (long i = 0; i < n; i++) {
                        byte b = file.get(ValueLayout.JAVA_BYTE, start + i);
                        if (b != 0 && b != 1) throw fail(start + i, "bool value " + b + " is neither 0 nor 1");
                    }
                }
                pos += n * elem.size;
                view = new GgufArray(elem, count, i -> new Cursor(start + (long) i * elem.size).value(elem, depth + 1).value());
            } else {
                // Strings and nested arrays vary in size: parse each once to validate it and
                // keep only where it starts, relative to the array.
                int[] starts = new int[count];
                for (int i = 0; i < count; i++) {
                    long rel = pos - start;
                    if (rel > Integer.MAX_VALUE) throw fail(at, "array spans more than 2 GiB of the file");
                    starts[i] = (int) rel;
                    value(elem, depth + 1);
                }
                view = new GgufArray(elem, count, i -> {
                    GgufValue v = new Cursor(start + starts[i]).value(elem, depth + 1);
                    return elem == GgufValueType.ARRAY ? v : v.value();
                });
            }
            return new GgufValue(GgufValueType.ARRAY, view, elem);
        }
    }
}
