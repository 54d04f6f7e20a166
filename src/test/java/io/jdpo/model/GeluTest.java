package io.jdpo.model;

import io.jdpo.testing.GgmlCpu;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Java forward's GELU table against the one llama.cpp's CPU backend looks Gemma's GELU up in. */
class GeluTest {
    @Test
    void tableEqualsGgmlEntryForEntry() {
        short[] ggml = GgmlCpu.geluTable();
        int compared = 0, differing = 0;
        StringBuilder first = new StringBuilder();
        for (int h = 0; h < ggml.length; h++) {
            float x = Float.float16ToFloat((short) h);
            if (Float.isNaN(x)) continue;
            compared++;
            float ours = Gelu.tableEntry((short) h), theirs = Float.float16ToFloat(ggml[h]);
            if (Float.compare(ours, theirs) != 0) {
                if (differing++ < 5) first.append(String.format(" x=%s: ours %s, ggml %s;", x, ours, theirs));
            }
        }
        assertEquals(0, differing, differing + " of " + compared + " entries differ:" + first);
    }

    @Test
    void applyLooksUpTheRoundedInputAndClampsOutside10() {
        assertEquals(0f, Gelu.apply(-10f));
        assertEquals(12.5f, Gelu.apply(12.5f));
        float x = 0.73f;
        assertEquals(Gelu.tableEntry(Float.floatToFloat16(x)), Gelu.apply(x));
    }
}
