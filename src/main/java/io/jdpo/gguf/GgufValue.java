package io.jdpo.gguf;

import java.util.List;

/**
 * One metadata value: its GGUF type and the Java value (Long for every integer type,
 * Float/Double, Boolean, String, or a List of values for arrays, with the element type).
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
