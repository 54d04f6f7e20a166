package io.jdpo.gguf;

import java.util.AbstractList;
import java.util.RandomAccess;
import java.util.function.IntFunction;

/**
 * A metadata array left where it lies in the mapped file: an element is read when asked for.
 * A crafted file can declare an array of millions of values in the space it really has;
 * boxing each into the heap up front turned a 100 MB {@code u8} array into gigabytes. Here a
 * fixed-size array costs the heap nothing per element, and an array of strings or arrays 4
 * bytes per element (where each starts, at least 8 bytes of file each).
 *
 * <p>Elements come back as {@link GgufValue} did: Long for every integer type, Float,
 * Double, Boolean, String, or a GgufValue for a nested array. The file has been validated
 * already, so reading never fails while the {@link GgufFile} is open; after its close the
 * view throws {@link IllegalStateException}, like {@link GgufFile#data}.
 */
public final class GgufArray extends AbstractList<Object> implements RandomAccess {
    private final GgufValueType elementType;
    private final int size;
    private final IntFunction<Object> element;

    GgufArray(GgufValueType elementType, int size, IntFunction<Object> element) {
        this.elementType = elementType;
        this.size = size;
        this.element = element;
    }

    /** {@return the GGUF type of every element} */
    public GgufValueType elementType() {
        return elementType;
    }

    /**
     * Reads one element from the mapping.
     *
     * @param index the element's index, in [0, size())
     * @return Long for every integer type, Float, Double, Boolean, String, or a
     *         {@link GgufValue} holding a nested array
     * @throws IndexOutOfBoundsException if the index is out of range
     * @throws IllegalStateException if the file has been closed
     */
    @Override
    public Object get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + " outside the array of " + size + " " + elementType);
        }
        return element.apply(index);
    }

    /** {@return the number of elements the file declares (checked to fit in it)} */
    @Override
    public int size() {
        return size;
    }
}
