package io.jdpo.gguf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One metadata value: its GGUF type and the Java value (Long for every integer type,
 * Float/Double, Boolean, String, or a List of values for arrays, with the element type).
 * Arrays read from a file are {@link GgufArray} views of its mapping, valid while the file
 * is open; {@link #detached()} copies one out.
 *
 * @param type the value's GGUF type
 * @param value Long for every integer type (UINT64 values above 2^63 read as negative),
 *        Float, Double, Boolean, String, or a {@code List<Object>} for ARRAY
 * @param elementType for ARRAY, the type of its elements; null otherwise
 */
public record GgufValue(GgufValueType type, Object value, GgufValueType elementType) {
    /**
     * {@return a STRING value}
     *
     * @param s the string (written as UTF-8)
     */
    public static GgufValue of(String s) {
        return new GgufValue(GgufValueType.STRING, s, null);
    }

    /**
     * {@return a UINT16 value}
     *
     * @param v the value, in [0, 65535] (not checked; the writer keeps the low 16 bits)
     */
    public static GgufValue u16(int v) {
        return new GgufValue(GgufValueType.UINT16, (long) v, null);
    }

    /**
     * {@return a UINT32 value}
     *
     * @param v the value, in [0, 2^32) (not checked; the writer keeps the low 32 bits)
     */
    public static GgufValue u32(long v) {
        return new GgufValue(GgufValueType.UINT32, v, null);
    }

    /**
     * {@return a INT32 value}
     *
     * @param v the value, in the int range (not checked; the writer keeps the low 32 bits)
     */
    public static GgufValue i32(long v) {
        return new GgufValue(GgufValueType.INT32, v, null);
    }

    /**
     * {@return a UINT64 value}
     *
     * @param v the value, read as unsigned
     */
    public static GgufValue u64(long v) {
        return new GgufValue(GgufValueType.UINT64, v, null);
    }

    /**
     * {@return a FLOAT32 value}
     *
     * @param v the value
     */
    public static GgufValue f32(float v) {
        return new GgufValue(GgufValueType.FLOAT32, v, null);
    }

    /**
     * {@return a BOOL value}
     *
     * @param v the value
     */
    public static GgufValue bool(boolean v) {
        return new GgufValue(GgufValueType.BOOL, v, null);
    }

    /**
     * An array of values of one type (strings, numbers, or arrays).
     *
     * @param elementType the type of every element
     * @param values the elements (copied): String, Number, Boolean, or {@link GgufValue} for
     *        nested arrays, as the element type wants
     * @return an ARRAY value
     * @throws NullPointerException if {@code values} or an element is null
     */
    public static GgufValue array(GgufValueType elementType, List<?> values) {
        return new GgufValue(GgufValueType.ARRAY, List.copyOf(values), elementType);
    }

    /**
     * This value with any array copied out of the file it was read from, so it outlives the file.
     *
     * @return this value when it holds no file view, else a copy with unmodifiable lists
     * @throws IllegalStateException if the file has already been closed
     */
    public GgufValue detached() {
        if (!(value instanceof GgufArray view)) return this;
        List<Object> copy = new ArrayList<>(view.size());
        for (Object o : view) copy.add(o instanceof GgufValue nested ? nested.detached() : o);
        return new GgufValue(type, Collections.unmodifiableList(copy), elementType);
    }

    /**
     * {@return the value as a String}
     *
     * @throws ClassCastException if it is not a STRING
     */
    public String asString() {
        return (String) value;
    }

    /**
     * {@return the value as a long (floats truncated)}
     *
     * @throws ClassCastException if it is not a number
     */
    public long asLong() {
        return ((Number) value).longValue();
    }

    /**
     * {@return the value as a double}
     *
     * @throws ClassCastException if it is not a number
     */
    public double asDouble() {
        return ((Number) value).doubleValue();
    }

    /**
     * {@return the elements of an ARRAY (a file view while read from an open file)}
     *
     * @throws ClassCastException if it is not an ARRAY
     */
    @SuppressWarnings("unchecked")
    public List<Object> asList() {
        return (List<Object>) value;
    }
}
