package io.jdpo.llama;

import java.lang.foreign.MemorySegment;

/** Small helpers for reading C values that the generated bindings hand back raw. */
final class Native {
    private Native() {
    }

    /** A NUL-terminated UTF-8 C string, or "" for NULL. */
    static String string(MemorySegment cString) {
        if (cString == null || cString.equals(MemorySegment.NULL)) {
            return "";
        }
        return cString.reinterpret(Integer.MAX_VALUE).getString(0);
    }
}
