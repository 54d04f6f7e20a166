package io.jdpo.gguf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One metadata value: its GGUF type and the Java value (Long for every integer type,
 * Float/Double, Boolean, String, or a List of values for arrays, with the element type).
 * Arrays read from a file are {@link GgufArray} views of its mapping, valid while the file
 * is open; {@link #detached()} copies one out.
 */
public record GgufValue(GgufValueType type, Object value, GgufValueType elementType) {
    public static GgufValue of(String s) {
        return new GgufValue(GgufValueType.STRING, s, null);
    }

    public static GgufValue u16(int v) {
        return new GgufValue(GgufValueType.UINT16, (long) v, null);
    }

    public static GgufValue u32(long v) {
        return new GgufValue(GgufValueType.UINT32, v, null);
    }

    public static GgufValue i32(long v) {
        return new GgufValue(GgufValueType.INT32, v, null);
    }

    public static GgufValue u64(long v) {
        return new GgufValue(GgufValueType.UINT64, v, null);
    }

    public static GgufValue f32(float v) {
        return new GgufValue(GgufValueType.FLOAT32, v, null);
    }

    public static GgufValue bool(boolean v) {
        return new GgufValue(GgufValueType.BOOL, v, null);
    }

    /** An array of values of one type (strings, numbers, or arrays). */
    public static GgufValue array(GgufValueType elementType, List<?> values) {
        return new GgufValue(GgufValueType.ARRAY, List.copyOf(values), elementType);
    }

    /** This value with any array copied out of the file it was read from, so it outlives the file. */
    public GgufValue detached() {
        if (!(value instanceof GgufArray view)) return this;
        List<Object> copy = new ArrayList<>(view.size());
        for (Object o : view) copy.add(o instanceof GgufValue nested ? nested.detached() : o);
        return new GgufValue(type, Collections.unmodifiableList(copy), elementType);
    }

    public String asString() {
        return (String) value;
    }

    public long asLong() {
        return ((Number) value).longValue();
    }

    public double asDouble() {
        return ((Number) value).doubleValue();
    }

    @SuppressWarnings("unchecked")
    public List<Object> asList() {
        return (List<Object>) value;
    }
}
