package io.jdpo.gguf;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code jdpo inspect} shows of a model: header, metadata with long arrays summarised,
 * the tensor table, totals by type and the parameter count. A plain data structure, so the
 * CLI can print it as text or JSON. Holds no view of the file: it outlives the model.
 *
 * @param files the model's files, in shard order
 * @param version the GGUF version of the shard holding the first tensor (0 without tensors)
 * @param alignment that shard's data alignment in bytes
 * @param dataOffset the byte offset of that shard's data section (0 without tensors)
 * @param metadata the first shard's metadata: scalars as read, arrays of up to 8 elements as
 *        lists, longer ones as a map of "type" (e.g. "string[32000]") and "first" (8 elements)
 * @param tensors every tensor, in file order
 * @param totalsByType per ggml type name, in name order, the tensors of that type
 * @param parameters the number of values over all tensors
 * @param tensorBytes the bytes of all tensor data
 */
public record GgufSummary(List<String> files, int version, int alignment, long dataOffset,
                          Map<String, Object> metadata, List<Tensor> tensors,
                          Map<String, TypeTotal> totalsByType, long parameters, long tensorBytes) {

    /**
     * One tensor's row of the table.
     *
     * @param name the tensor's name
     * @param type its {@link GgmlType} constant name, e.g. "Q4_K"
     * @param shape its dimensions, innermost first
     * @param bytes its data size
     * @param offset the absolute byte offset of its data in its file
     */
    public record Tensor(String name, String type, long[] shape, long bytes, long offset) {
    }

    /**
     * Totals for one tensor type.
     *
     * @param tensors how many tensors have the type
     * @param parameters their values, summed
     * @param bytes their data bytes, summed
     */
    public record TypeTotal(int tensors, long parameters, long bytes) {
    }

    /** Arrays longer than this many elements are shown as their type, length and first values. */
    static final int ARRAY_PREVIEW = 8;

    /**
     * Summarises an open model.
     *
     * @param model the model
     * @return its summary
     * @throws IllegalStateException if the model has been closed and its metadata holds arrays
     */
    public static GgufSummary of(GgufModel model) {
        Map<String, Object> meta = new LinkedHashMap<>();
        for (var e : model.metadata().entrySet()) meta.put(e.getKey(), render(e.getValue()));
        List<Tensor> tensors = new ArrayList<>();
        Map<String, long[]> totals = new TreeMap<>();
        long params = 0, bytes = 0;
        for (GgufTensorInfo t : model.tensors()) {
            GgufFile f = model.fileOf(t.name());
            tensors.add(new Tensor(t.name(), t.type().name(), t.ne(), t.byteSize(), f.dataStart() + t.offset()));
            long[] tot = totals.computeIfAbsent(t.type().name(), k -> new long[3]);
            tot[0]++;
            tot[1] += t.elementCount();
            tot[2] += t.byteSize();
            params += t.elementCount();
            bytes += t.byteSize();
        }
        Map<String, TypeTotal> byType = new LinkedHashMap<>();
        totals.forEach((k, v) -> byType.put(k, new TypeTotal((int) v[0], v[1], v[2])));
        GgufFile first = model.fileOf(model.tensors().isEmpty() ? null : model.tensors().getFirst().name());
        return new GgufSummary(model.paths().stream().map(Object::toString).toList(),
                first == null ? 0 : first.version(), first == null ? GgufFile.DEFAULT_ALIGNMENT : first.alignment(),
                first == null ? 0 : first.dataStart(), meta, tensors, byType, params, bytes);
    }

    private static Object render(GgufValue v) {
        if (v.type() != GgufValueType.ARRAY) return v.value();
        List<Object> list = v.asList();
        List<Object> shown = new ArrayList<>();
        for (int i = 0; i < Math.min(ARRAY_PREVIEW, list.size()); i++) {
            Object o = list.get(i);
            shown.add(o instanceof GgufValue g ? render(g) : o);
        }
        if (list.size() <= ARRAY_PREVIEW) return shown;
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("type", v.elementType().name().toLowerCase() + "[" + list.size() + "]");
        summary.put("first", shown);
        return summary;
    }
}
