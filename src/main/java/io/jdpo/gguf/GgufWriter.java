package io.jdpo.gguf;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF v3 files: metadata in insertion order, tensor infos, then tensor data, each
 * tensor aligned to {@code general.alignment}. The file is written beside the target under
 * a temporary name and renamed into place, so a failed write never leaves a broken file at
 * the target path. Metadata and tensors are held until {@link #write}; tensor data given as
 * a segment is referenced, not copied, so it must stay valid (its arena open) until then.
 * For one thread; a writer may write several files.
 */
public final class GgufWriter {
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Pending> tensors = new ArrayList<>();
    private final Map<String, Pending> tensorNames = new LinkedHashMap<>();

    /** An empty writer: no metadata, no tensors. */
    public GgufWriter() {
    }

    /**
     * Sets a metadata entry, replacing an earlier value of the key in its original place. An
     * array read from a file is copied now, so the file may close before {@link #write}.
     *
     * @param key the key, e.g. "general.name"
     * @param value the value; for {@code general.alignment} a power-of-two UINT32
     * @return this writer
     * @throws IllegalStateException if {@code value} is a view of a file already closed
     */
    public GgufWriter put(String key, GgufValue value) {
        metadata.put(key, value.detached());
        return this;
    }

    /**
     * Sets a STRING metadata entry.
     *
     * @param key the key
     * @param value the string
     * @return this writer
     */
    public GgufWriter put(String key, String value) {
        return put(key, GgufValue.of(value));
    }

    /**
     * Copies every metadata entry of another file, keeping its order.
     *
     * @param values metadata such as {@link GgufFile#metadata()}; arrays are copied now
     * @return this writer
     * @throws IllegalStateException if a value is a view of a file already closed
     */
    public GgufWriter putAll(Map<String, GgufValue> values) {
        values.forEach(this::put);
        return this;
    }

    /**
     * Adds a tensor after those added before. Its bytes are read at {@link #write}, not copied now.
     *
     * @param name the tensor's name, unique in the file
     * @param type how {@code data} stores the values
     * @param ne the shape, innermost first (copied)
     * @param data exactly the bytes the type and shape need
     * @return this writer
     * @throws IllegalArgumentException if the size is wrong or the name is taken
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] ne, MemorySegment data) {
        GgufTensorInfo info = new GgufTensorInfo(name, type, ne.clone(), 0);
        if (data.byteSize() != info.byteSize()) {
            throw new IllegalArgumentException("tensor '" + name + "' of type " + type + " and shape "
                    + java.util.Arrays.toString(ne) + " needs " + info.byteSize() + " bytes, got " + data.byteSize());
        }
        if (tensorNames.containsKey(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        Pending p = new Pending(name, type, ne.clone(), data, null, data.byteSize());
        tensors.add(p);
        tensorNames.put(name, p);
        return this;
    }

    /** Produces a tensor's bytes when the writer reaches it, so a file can be written one tensor in memory at a time. */
    @FunctionalInterface
    public interface TensorSource {
        /**
         * {@return the tensor's bytes, exactly as many as its type and shape need; read before the next tensor's source is called}
         *
         * @throws IOException if the bytes cannot be produced; the write fails with it
         */
        MemorySegment bytes() throws IOException;
    }

    /**
     * Adds a tensor whose bytes are made only while it is written ({@code source} is called
     * once per {@link #write}, in tensor order, and must return exactly the bytes its type and
     * shape need).
     *
     * @param name the tensor's name, unique in the file
     * @param type how the bytes store the values
     * @param ne the shape, innermost first (copied)
     * @param source produces the bytes during the write
     * @return this writer
     * @throws IllegalArgumentException if the name is taken or the innermost dimension is not a
     *         whole number of blocks
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] ne, TensorSource source) {
        GgufTensorInfo info = new GgufTensorInfo(name, type, ne.clone(), 0);
        if (tensorNames.containsKey(name)) throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        Pending p = new Pending(name, type, ne.clone(), null, source, info.byteSize());
        tensors.add(p);
        tensorNames.put(name, p);
        return this;
    }

    /**
     * Adds an F32 tensor backed by a Java array (read at {@link #write}, not copied now).
     *
     * @param name the tensor's name, unique in the file
     * @param ne the shape, innermost first; its product must equal {@code values.length}
     * @param values the values, innermost dimension first
     * @return this writer
     * @throws IllegalArgumentException if the sizes disagree or the name is taken
     */
    public GgufWriter addTensor(String name, long[] ne, float[] values) {
        return addTensor(name, GgmlType.F32, ne, MemorySegment.ofArray(values));
    }

    /**
     * Writes the file atomically: a temporary {@code .<name>.<hex>.partial} beside the target,
     * renamed over it when whole (an existing file at the target is replaced). Missing parent
     * folders are created. The file's permissions follow the umask.
     *
     * @param target the file to write
     * @throws IOException if writing, a tensor source or the rename fails; the temporary file
     *         is removed and the target is left as it was
     * @throws IllegalStateException if a tensor source returns the wrong number of bytes
     */
    public void write(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        // Not Files.createTempFile: its 0600 mode would survive the rename, and a model or
        // adapter is a file for other users and tools to read (CREATE_NEW follows the umask).
        Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".partial");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), 1 << 20)) {
                writeTo(out);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void writeTo(OutputStream raw) throws IOException {
        int alignment = GgufFile.DEFAULT_ALIGNMENT;
        GgufValue align = metadata.get("general.alignment");
        if (align != null) alignment = (int) align.asLong();
        Counting out = new Counting(raw);
        out.u32(GgufFile.MAGIC);
        out.u32(3);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (var e : metadata.entrySet()) {
            out.string(e.getKey());
            out.u32(e.getValue().type().id());
            writeValue(out, e.getValue());
        }
        long offset = 0;
        for (Pending t : tensors) {
            out.string(t.name);
            out.u32(t.ne.length);
            for (long d : t.ne) out.u64(d);
            out.u32(t.type.id());
            out.u64(offset);
            offset = GgufFile.align(offset + t.size, alignment);
        }
        out.pad(alignment);
        byte[] chunk = new byte[1 << 16];
        for (Pending t : tensors) {
            long n = t.size;
            MemorySegment data = t.data != null ? t.data : t.source.bytes();
            if (data.byteSize() != n) {
                throw new IllegalStateException("tensor '" + t.name + "' produced " + data.byteSize() + " bytes, its type and shape need " + n);
            }
            for (long pos = 0; pos < n; pos += chunk.length) {
                int len = (int) Math.min(chunk.length, n - pos);
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, pos, chunk, 0, len);
                out.write(chunk, 0, len);
            }
            out.pad(alignment);
        }
    }

    private static void writeValue(Counting out, GgufValue v) throws IOException {
        writeScalar(out, v.type(), v.value(), v.elementType());
    }

    private static void writeScalar(Counting out, GgufValueType type, Object value, GgufValueType elem) throws IOException {
        switch (type) {
            case UINT8, INT8 -> out.write(((Number) value).intValue());
            case UINT16, INT16 -> { int s = ((Number) value).intValue(); out.write(s); out.write(s >>> 8); }
            case UINT32, INT32 -> out.u32(((Number) value).intValue());
            case FLOAT32 -> out.u32(Float.floatToRawIntBits(((Number) value).floatValue()));
            case UINT64, INT64 -> out.u64(((Number) value).longValue());
            case FLOAT64 -> out.u64(Double.doubleToRawLongBits(((Number) value).doubleValue()));
            case BOOL -> out.write((Boolean) value ? 1 : 0);
            case STRING -> out.string((String) value);
            case ARRAY -> {
                List<?> list = (List<?>) value;
                out.u32(elem.id());
                out.u64(list.size());
                for (Object o : list) {
                    if (elem == GgufValueType.ARRAY) {
                        writeValue(out, (GgufValue) o);
                    } else {
                        writeScalar(out, elem, o, null);
                    }
                }
            }
        }
    }

    /** A tensor to write: its bytes now ({@code data}) or on demand ({@code source}). */
    private record Pending(String name, GgmlType type, long[] ne, MemorySegment data, TensorSource source, long size) {
    }

    /** Little-endian output that knows its position, for alignment padding. */
    private static final class Counting {
        private final OutputStream out;
        private long pos;

        Counting(OutputStream out) {
            this.out = out;
        }

        void write(int b) throws IOException {
            out.write(b);
            pos++;
        }

        void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            pos += len;
        }

        void u32(int v) throws IOException {
            for (int i = 0; i < 4; i++) write(v >>> (8 * i));
        }

        void u64(long v) throws IOException {
            for (int i = 0; i < 8; i++) write((int) (v >>> (8 * i)));
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            write(b, 0, b.length);
        }

        void pad(int alignment) throws IOException {
            while (pos % alignment != 0) write(0);
        }
    }
}
