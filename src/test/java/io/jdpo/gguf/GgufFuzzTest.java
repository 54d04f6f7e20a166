package io.jdpo.gguf;

import io.jdpo.testing.ForkedJvm;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 20,000 mutated GGUF files and two with huge arrays, read in a JVM with a 256 MB heap: only
 * GgufFormatException may come out, never an OutOfMemoryError. scripts/fuzz.sh runs the same
 * fuzzer with 100,000 cases or more.
 */
class GgufFuzzTest {
    static final int CASES = 20_000;

    @Test
    void mutatedFilesParseOrFailCleanlyInASmallHeap(@TempDir Path dir) throws Exception {
        Path stories = TestData.stories260K().toAbsolutePath(), tiny = TestData.tinyRandomLlama2().toAbsolutePath();
        ForkedJvm.Result r = ForkedJvm.run(List.of("-Xmx256m"), GgufFuzz.class, 900,
                stories.toString(), tiny.toString(), dir.resolve("work").toString(), String.valueOf(CASES), "20260");
        System.out.print(r.output());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("huge arrays: 100 MB u8 and 12.5 M strings opened"), r.output());
        assertTrue(r.output().contains("gguf fuzz: " + CASES + " cases"), r.output());
    }
}
