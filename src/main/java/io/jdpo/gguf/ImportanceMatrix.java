package io.jdpo.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An importance matrix as llama.cpp's llama-imatrix writes it: for each weight tensor, the sum
 * over tokens of the squares of its input's columns and the number of tokens. ggml's
 * quantizers weigh each column's rounding error by the mean square (sum / count), so a
 * column the data excites strongly is rounded more carefully.
 *
 * <p>Two files hold it. GGUF (common/imatrix-loader.cpp at the pinned commit):
 * {@code general.type = "imatrix"}, {@code imatrix.datasets} (string array),
 * {@code imatrix.chunk_count} and {@code imatrix.chunk_size} (u32, all three required by
 * llama-quantize), and per tensor {@code <name>.in_sum2} (F32, ne = [n_in, 1]) and
 * {@code <name>.counts} (F32, ne = [1, 1]). Legacy {@code .dat}: i32 entry count, then per
 * entry i32 name length, the name, i32 ncall, i32 value count, the values as f32 (the mean
 * square times ncall; the loader divides by ncall), then i32 chunk count, i32 dataset-name
 * length and the name.
 *
 * @param entries per weight tensor name (e.g. "blk.0.ffn_down.weight"), its statistics;
 *        copied into an unmodifiable map in the given order
 * @param dataset the name of the data the statistics came from (written to imatrix.datasets)
 * @param chunks how many chunks of text were run (imatrix.chunk_count)
 * @param chunkSize tokens per chunk (imatrix.chunk_size)
 */
public record ImportanceMatrix(Map<String, Entry> entries, String dataset, int chunks, int chunkSize) {
    /**
     * One tensor's sum of squares per input column over {@code count} tokens, and optionally
     * (jdpo's addition, null when absent) the sums of products of every column pair, n × n
     * row-major: the input's second-moment matrix, which lets a merge compensate one column's
     * rounding with the others ({@code <name>.in_cov}, ignored by llama-quantize).
     *
     * @param sumSquares per input column, the sum of squares over the tokens; not copied
     * @param count the number of tokens summed (0 makes every column weigh the same)
     * @param crossSums n × n sums of column products, row-major, or null; not copied
     */
    public record Entry(double[] sumSquares, long count, double[] crossSums) {
        /**
         * An entry without cross sums.
         *
         * @param sumSquares per input column, the sum of squares over the tokens
         * @param count the number of tokens summed
         */
        public Entry(double[] sumSquares, long count) {
            this(sumSquares, count, null);
        }

        /**
         * {@return the second-moment matrix E[x xᵀ] (n × n, row-major, a new array): the cross
         * sums divided by the count (zeros when the count is 0), or null without cross sums}
         */
        public double[] secondMoments() {
            if (crossSums == null) return null;
            double[] m = crossSums.clone();
            for (int i = 0; i < m.length; i++) m[i] = count == 0 ? 0 : m[i] / count;
            return m;
        }

        /**
         * {@return per-column mean square, the weights ggml's quantizers take (a new array; all 1
         * when the count is 0)}
         */
        public float[] meanSquares() {
            float[] out = new float[sumSquares.length];
            for (int i = 0; i < out.length; i++) out[i] = count == 0 ? 1f : (float) (sumSquares[i] / count);
            return out;
        }
    }

    /** Copies the entries into an unmodifiable map, keeping their order. */
    public ImportanceMatrix {
        entries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    /**
     * {@return the mean squares of its input columns (see {@link Entry#meanSquares()}), or null when the matrix has none for it}
     *
     * @param tensor a weight tensor's name
     */
    public float[] weights(String tensor) {
        Entry e = entries.get(tensor);
        return e == null ? null : e.meanSquares();
    }

    /**
     * {@return E[x xᵀ] of its input (n × n, row-major), or null when the matrix has no entry or no cross sums for it}
     *
     * @param tensor a weight tensor's name
     */
    public double[] secondMoments(String tensor) {
        Entry e = entries.get(tensor);
        return e == null ? null : e.secondMoments();
    }

    /**
     * Writes GGUF, or legacy .dat when the file name ends in ".dat"; atomically either way
     * (temporary file, then renamed over any existing file). Values are stored as F32. The
     * legacy form holds neither cross sums nor the chunk size.
     *
     * @param out the file to write
     * @throws IOException if writing or the rename fails
     */
    public void write(Path out) throws IOException {
        if (out.getFileName().toString().endsWith(".dat")) writeLegacy(out);
        else writeGguf(out);
    }

    private void writeGguf(Path out) throws IOException {
        GgufWriter w = new GgufWriter().put("general.type", "imatrix")
                .put("imatrix.datasets", GgufValue.array(GgufValueType.STRING, List.of(dataset)))
                .put("imatrix.chunk_count", GgufValue.u32(chunks))
                .put("imatrix.chunk_size", GgufValue.u32(chunkSize));
        for (var e : entries.entrySet()) {
            double[] s = e.getValue().sumSquares();
            float[] sums = new float[s.length];
            for (int i = 0; i < s.length; i++) sums[i] = (float) s[i];
            w.addTensor(e.getKey() + ".in_sum2", new long[]{s.length, 1}, sums);
            w.addTensor(e.getKey() + ".counts", new long[]{1, 1}, new float[]{e.getValue().count()});
            double[] c = e.getValue().crossSums();
            if (c != null) {
                float[] cf = new float[c.length];
                for (int i = 0; i < c.length; i++) cf[i] = (float) c[i];
                w.addTensor(e.getKey() + ".in_cov", new long[]{s.length, s.length}, cf);
            }
        }
        w.write(out);
    }

    private void writeLegacy(Path out) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(i32(entries.size()));
        for (var e : entries.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            bytes.writeBytes(i32(name.length));
            bytes.writeBytes(name);
            // ncall 1 with the mean squares as values: the loader's sums / ncall gives them back.
            bytes.writeBytes(i32(1));
            float[] m = e.getValue().meanSquares();
            bytes.writeBytes(i32(m.length));
            ByteBuffer b = ByteBuffer.allocate(4 * m.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : m) b.putFloat(v);
            bytes.writeBytes(b.array());
        }
        bytes.writeBytes(i32(chunks));
        byte[] ds = dataset.getBytes(StandardCharsets.UTF_8);
        bytes.writeBytes(i32(ds.length));
        bytes.writeBytes(ds);
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        Files.write(tmp, bytes.toByteArray());
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] i32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    /**
     * Reads the GGUF form (what {@link #write} writes by default and llama-imatrix writes).
     * Everything is copied to the heap; the file is closed before this returns.
     *
     * @param path the GGUF importance matrix
     * @return the matrix; tensors other than {@code .in_sum2/.counts/.in_cov} are ignored
     * @throws IOException if the file cannot be read
     * @throws GgufFormatException if the file is not valid GGUF
     * @throws IllegalArgumentException if it is not an importance matrix
     *         ({@code general.type}), or an entry lacks its counts, is not F32, or has per-expert
     *         counts; the message names the file and tensor
     */
    public static ImportanceMatrix read(Path path) throws IOException {
        try (GgufFile f = GgufFile.open(path)) {
            GgufValue type = f.get("general.type");
            if (type == null || !"imatrix".equals(type.asString())) {
                throw new IllegalArgumentException(path + " is not an importance matrix (general.type=" + (type == null ? null : type.asString()) + ")");
            }
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (GgufTensorInfo t : f.tensors()) {
                if (!t.name().endsWith(".in_sum2")) continue;
                String name = t.name().substring(0, t.name().length() - ".in_sum2".length());
                if (!f.hasTensor(name + ".counts")) throw new IllegalArgumentException(path + ": '" + t.name() + "' has no '" + name + ".counts'");
                GgufTensorInfo c = f.tensor(name + ".counts");
                if (t.type() != GgmlType.F32 || c.type() != GgmlType.F32) {
                    throw new IllegalArgumentException(path + ": '" + name + "' sums and counts must be F32, found " + t.type() + " and " + c.type());
                }
                if (c.elementCount() != 1) {
                    throw new IllegalArgumentException(path + ": '" + name + "' has " + c.elementCount() + " counts (an expert tensor); jdpo reads one per tensor");
                }
                MemorySegment s = f.data(t);
                double[] sums = new double[(int) t.elementCount()];
                for (int i = 0; i < sums.length; i++) sums[i] = s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
                long count = Math.round(f.data(c).get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
                double[] cross = null;
                if (f.hasTensor(name + ".in_cov")) {
                    GgufTensorInfo ct = f.tensor(name + ".in_cov");
                    if (ct.type() != GgmlType.F32 || ct.elementCount() != (long) sums.length * sums.length) {
                        throw new IllegalArgumentException(path + ": '" + ct.name() + "' must be F32 of " + sums.length + "x" + sums.length);
                    }
                    MemorySegment cs = f.data(ct);
                    cross = new double[sums.length * sums.length];
                    for (int i = 0; i < cross.length; i++) cross[i] = cs.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
                }
                entries.put(name, new Entry(sums, count, cross));
            }
            String ds = "";
            GgufValue d = f.get("imatrix.datasets");
            if (d != null && !d.asList().isEmpty()) ds = String.valueOf(d.asList().getFirst());
            GgufValue cc = f.get("imatrix.chunk_count"), cs = f.get("imatrix.chunk_size");
            return new ImportanceMatrix(entries, ds, cc == null ? 0 : (int) cc.asLong(), cs == null ? 0 : (int) cs.asLong());
        }
    }
}
