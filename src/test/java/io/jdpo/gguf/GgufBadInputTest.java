package io.jdpo.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** Each kind of broken header the reader must refuse, with the offset and the problem named. */
class GgufBadInputTest {
    @TempDir
    Path dir;

    /** Little-endian GGUF bytes written by hand, so a test can break exactly one thing. */
    static final class Raw {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Raw u32(long v) { return put(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array()); }
        Raw u64(long v) { return put(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array()); }
        Raw str(String s) { byte[] b = s.getBytes(StandardCharsets.UTF_8); u64(b.length); return put(b); }
        Raw put(byte[] b) { out.writeBytes(b); return this; }
        Raw header(long tensors, long kvs) { return u32(GgufFile.MAGIC).u32(3).u64(tensors).u64(kvs); }
        Raw tensor(String name, long[] ne, int type, long offset) {
            str(name).u32(ne.length);
            for (long d : ne) u64(d);
            return u32(type).u64(offset);
        }
        Raw padTo(int alignment) { while (out.size() % alignment != 0) out.write(0); return this; }
        byte[] bytes() { return out.toByteArray(); }
    }

    private GgufFormatException refused(byte[] file, String expected) throws Exception {
        Path p = Files.write(dir.resolve("bad.gguf"), file);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
        assertTrue(e.getMessage().contains("bad.gguf at byte " + e.offset()), e.getMessage());
        return e;
    }

    private static byte[] withTensors(Consumer<Raw> tensors, int count, long dataBytes) {
        Raw r = new Raw().header(count, 0);
        tensors.accept(r);
        r.padTo(32);
        r.put(new byte[(int) dataBytes]);
        return r.bytes();
    }

    @Test
    void goodHandWrittenFileParses() throws Exception {
        byte[] ok = withTensors(r -> r.tensor("a", new long[]{4, 2}, 0, 0).tensor("b", new long[]{8}, 0, 32), 2, 64);
        try (GgufFile g = GgufFile.open(Files.write(dir.resolve("ok.gguf"), ok))) {
            assertEquals(2, g.tensors().size());
        }
    }

    @Test
    void headerProblems() throws Exception {
        assertEquals(0, refused(new Raw().u32(0x12345678).u32(3).u64(0).u64(0).bytes(), "bad magic").offset());
        assertEquals(4, refused(new Raw().u32(GgufFile.MAGIC).u32(1).u64(0).u64(0).bytes(), "unsupported GGUF version 1").offset());
        assertEquals(8, refused(new Raw().header(1L << 40, 0).bytes(), "tensor count").offset());
        assertEquals(16, refused(new Raw().header(0, 1L << 40).bytes(), "metadata count").offset());
        refused(new Raw().u32(GgufFile.MAGIC).bytes(), "too short");
    }

    @Test
    void metadataProblems() throws Exception {
        refused(new Raw().header(0, 1).u64(1L << 40).put(new byte[16]).bytes(), "runs past the end");
        refused(new Raw().header(0, 1).str("k").u32(99).put(new byte[16]).bytes(), "unknown value type 99");
        refused(new Raw().header(0, 1).str("k").u32(9).u32(4).u64(1L << 50).put(new byte[16]).bytes(), "array of");
        refused(new Raw().header(0, 1).str("k").u32(9).u32(77).u64(1).put(new byte[16]).bytes(), "unknown array element type");
        refused(new Raw().header(0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2).put(new byte[16]).bytes(), "duplicate metadata key 'k'");
        refused(new Raw().header(0, 1).str("k").u32(7).put(new byte[]{5}).put(new byte[16]).bytes(), "bool value 5");
        refused(new Raw().header(0, 1).u64(2).put(new byte[]{(byte) 0xC3, 0x28}).u32(4).u32(1).put(new byte[16]).bytes(), "not valid UTF-8");
        refused(new Raw().header(0, 1).str("general.alignment").u32(4).u32(24).put(new byte[16]).bytes(), "power of two");
    }

    @Test
    void nestedArraysAndEveryValueTypeRead() throws Exception {
        Raw r = new Raw().header(0, 3);
        r.str("nested").u32(9).u32(9).u64(2).u32(5).u64(2).u32(1).u32(2).u32(8).u64(1).str("x");
        r.str("u16").u32(2).put(new byte[]{(byte) 0xff, (byte) 0xff});
        r.str("f64").u32(12).u64(Double.doubleToLongBits(2.5));
        try (GgufFile g = GgufFile.open(Files.write(dir.resolve("n.gguf"), r.bytes()))) {
            var outer = g.get("nested").asList();
            assertEquals(2, outer.size());
            assertEquals(java.util.List.of(1L, 2L), ((GgufValue) outer.get(0)).asList());
            assertEquals(java.util.List.of("x"), ((GgufValue) outer.get(1)).asList());
            assertEquals(65535, g.get("u16").asLong());
            assertEquals(2.5, g.get("f64").asDouble());
        }
    }

    @Test
    void tensorInfoProblems() throws Exception {
        refused(withTensors(r -> r.tensor("t", new long[]{1, 1, 1, 1, 1}, 0, 0), 1, 64), "5 dimensions");
        refused(withTensors(r -> r.tensor("t", new long[]{4, 0}, 0, 0), 1, 64), "dimension 1 is 0");
        refused(withTensors(r -> r.tensor("t", new long[]{1L << 40, 1L << 40}, 0, 0), 1, 64), "overflows");
        refused(withTensors(r -> r.tensor("t", new long[]{4}, 4, 0), 1, 64), "unknown type 4");
        refused(withTensors(r -> r.tensor("t", new long[]{4}, 0, 8), 1, 64), "not aligned");
        refused(withTensors(r -> r.tensor("t", new long[]{100}, 0, 0), 1, 64), "outside the data section");
        refused(withTensors(r -> r.tensor("a", new long[]{16}, 0, 0).tensor("b", new long[]{8}, 0, 32), 2, 128), "overlaps");
        refused(withTensors(r -> r.tensor("a", new long[]{4}, 0, 0).tensor("a", new long[]{4}, 0, 32), 2, 64), "duplicate tensor name 'a'");
        refused(withTensors(r -> r.tensor("q", new long[]{16}, 8, 0), 1, 64), "not a whole number of Q8_0 blocks");
    }
}
