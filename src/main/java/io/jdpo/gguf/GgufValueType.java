package io.jdpo.gguf;

/** Metadata value types, ids as in the GGUF spec (gguf_type). */
public enum GgufValueType {
    /** Unsigned 8-bit integer. */
    UINT8(1),
    /** Signed 8-bit integer. */
    INT8(1),
    /** Unsigned 16-bit integer. */
    UINT16(2),
    /** Signed 16-bit integer. */
    INT16(2),
    /** Unsigned 32-bit integer. */
    UINT32(4),
    /** Signed 32-bit integer. */
    INT32(4),
    /** IEEE 32-bit float. */
    FLOAT32(4),
    /** One byte, 0 or 1 (anything else is a format error). */
    BOOL(1),
    /** A u64 byte length followed by UTF-8 bytes, no terminator. */
    STRING(-1),
    /** A u32 element type, a u64 count, then the elements. */
    ARRAY(-1),
    /** Unsigned 64-bit integer. */
    UINT64(8),
    /** Signed 64-bit integer. */
    INT64(8),
    /** IEEE 64-bit float. */
    FLOAT64(8);

    /** Bytes of one value, -1 for variable-length types. */
    final int size;

    GgufValueType(int size) {
        this.size = size;
    }

    /** {@return the type's id in the file (gguf_type)} */
    public int id() {
        return ordinal();
    }

    static GgufValueType byId(int id) {
        GgufValueType[] all = values();
        return id >= 0 && id < all.length ? all[id] : null;
    }
}
