package io.jdpo.gguf;

import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Reading and writing GGUF: round trips of the shared models, and clear errors on broken files. */
class GgufRoundTripTest {

    static void copy(Path in, Path out) throws Exception {
        try (GgufFile g = GgufFile.open(in)) {
            GgufWriter w = new GgufWriter().putAll(g.metadata());
            for (GgufTensorInfo t : g.tensors()) w.addTensor(t.name(), t.type(), t.ne(), g.data(t));
            w.write(out);
        }
    }

    @Test
    void sharedModelsRoundTripByteForByte(@TempDir Path dir) throws Exception {
        for (Path in : List.of(TestData.stories260K(), TestData.tinyRandomLlama2())) {
            Path out = dir.resolve(in.getFileName());
            copy(in, out);
            try (GgufFile a = GgufFile.open(in); GgufFile b = GgufFile.open(out)) {
                assertEquals(List.copyOf(a.metadata().keySet()), List.copyOf(b.metadata().keySet()), "metadata order");
                assertEquals(a.metadata(), b.metadata());
                assertEquals(a.tensors().size(), b.tensors().size());
                for (GgufTensorInfo t : a.tensors()) {
                    GgufTensorInfo u = b.tensor(t.name());
                    assertEquals(t.type(), u.type());
                    assertArrayEquals(t.ne(), u.ne());
                    assertArrayEquals(a.data(t).toArray(ValueLayout.JAVA_BYTE), b.data(u).toArray(ValueLayout.JAVA_BYTE), t.name());
                }
            }
        }
    }

    @Test
    void storiesMetadataReadsAsDocumented() throws Exception {
        try (GgufFile g = GgufFile.open(TestData.stories260K())) {
            assertEquals(3, g.version());
            assertEquals("llama", g.getString("general.architecture"));
            assertEquals(64, g.get("llama.embedding_length").asLong());
            assertEquals(48, g.tensors().size());
            assertEquals(512, g.get("tokenizer.ggml.tokens").asList().size());
            assertArrayEquals(new long[]{64, 32}, g.tensor("blk.0.attn_k.weight").ne());
        }
    }

    @Test
    void brokenFilesNameTheOffset(@TempDir Path dir) throws Exception {
        byte[] good = Files.readAllBytes(TestData.stories260K());
        Path bad = dir.resolve("bad.gguf");
        Files.write(bad, "GGML and more bytes to make it long enough".getBytes());
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(bad));
        assertTrue(e.getMessage().contains("bad magic") && e.getMessage().contains("at byte 0"), e.getMessage());

        byte[] v9 = good.clone();
        v9[4] = 9;
        Files.write(bad, v9);
        e = assertThrows(GgufFormatException.class, () -> GgufFile.open(bad));
        assertTrue(e.getMessage().contains("version 9"), e.getMessage());

        Files.write(bad, Arrays.copyOf(good, good.length / 2));
        e = assertThrows(GgufFormatException.class, () -> GgufFile.open(bad));
        assertTrue(e.getMessage().contains("outside the data section"), e.getMessage());

        byte[] hugeCount = good.clone();
        hugeCount[15] = 0x7f; // tensor count's top byte
        Files.write(bad, hugeCount);
        e = assertThrows(GgufFormatException.class, () -> GgufFile.open(bad));
        assertEquals(8, e.offset());
    }

    @Test
    void failedWriteLeavesTheTargetUntouched(@TempDir Path dir) throws Exception {
        Path target = Files.writeString(dir.resolve("keep.gguf"), "previous content");
        GgufWriter w = new GgufWriter().put("general.architecture", "llama");
        w.addTensor("t", new long[]{2}, new float[]{1, 2});
        // A metadata value of the wrong Java type fails mid-write.
        w.put("broken", new GgufValue(GgufValueType.UINT32, "not a number", null));
        assertThrows(ClassCastException.class, () -> w.write(target));
        assertEquals("previous content", Files.readString(target));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void writtenFilesGetTheUsualPermissionsNotATempFiles0600(@TempDir Path dir) throws Exception {
        Path probe = Files.createFile(dir.resolve("probe"));
        Path out = dir.resolve("w.gguf");
        new GgufWriter().put("general.name", "perm").write(out);
        var expected = Files.getPosixFilePermissions(probe);
        assertEquals(expected, Files.getPosixFilePermissions(out),
                "a model or adapter is written like any other file (umask), for other users and tools to read");
    }
}
