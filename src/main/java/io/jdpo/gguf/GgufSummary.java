package io.jdpo.gguf;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code jdpo inspect} shows of a model: header, metadata with long arrays summarised,
 * the tensor table, totals by type and the parameter count. A plain data structure, so the
 * CLI can print it as text or JSON.
 */
public record GgufSummary(List<String> files, int version, int alignment, long dataOffset,
                          Map<String, Object> metadata, List<Tensor> tensors,
                          Map<String, TypeTotal> totalsByType, long parameters, long tensorBytes) {

    public record Tensor(String name, String type, long[] shape, long bytes, long offset) {
    }

    public record TypeTotal(int tensors, long parameters, long bytes) {
    }

    /** Arrays longer than this many elements are shown as their type, length and first values. */
    static final int ARRAY_PREVIEW = 8;

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
