package io.jdpo.gguf;

import io.jdpo.testing.TestData;
import io.jdpo.testing.TestModelFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Mutates real GGUF files 20,000 times: every case must parse or throw GgufFormatException
 * (nothing else, no OutOfMemoryError) and none may take over 100 ms.
 */
class GgufFuzzTest {
    static final int CASES = 20_000;

    @Test
    void mutatedFilesParseOrFailCleanly(@TempDir Path dir) throws Exception {
        // Whole small files (so unmutated data still fits) and the truncated header of the big-vocabulary model.
        List<Seed> seeds = new ArrayList<>();
        seeds.add(seed(TestModelFactory.write(TestData.stories260K(),
                new TestModelFactory.Shape(8, 1, 2, 1, 16, 64), 1, dir.resolve("llama.gguf")), false));
        seeds.add(seed(TestModelFactory.write(TestData.stories260K(),
                new TestModelFactory.Shape(8, 1, 2, 1, 16, 64, TestModelFactory.Arch.QWEN2, true), 1, dir.resolve("qwen2.gguf")), false));
        seeds.add(seed(TestData.stories260K(), true));
        seeds.add(seed(TestData.tinyRandomLlama2(), true));
        Random rnd = new Random(20260);
        Path file = dir.resolve("case.gguf");
        int parsed = 0, rejected = 0;
        long worst = 0;
        for (int c = 0; c < CASES; c++) {
            byte[] data = mutate(seeds.get(c % seeds.size()), rnd);
            Files.write(file, data);
            long t0 = System.nanoTime();
            try (GgufFile g = GgufFile.open(file)) {
                for (GgufTensorInfo t : g.tensors()) g.data(t);
                parsed++;
            } catch (GgufFormatException e) {
                rejected++;
            } catch (Throwable t) {
                Path keep = dir.resolveSibling("gguf-fuzz-failure-" + c + ".gguf");
                Files.write(keep, data);
                fail("case " + c + " threw " + t + " (input kept at " + keep + ")", t);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            worst = Math.max(worst, ms);
            // The first cases run before the JIT has warmed up; the bound holds for the rest.
            if (c >= 200) assertTrue(ms <= 100, "case " + c + " took " + ms + " ms");
        }
        System.out.printf("gguf fuzz: %d cases, %d parsed, %d rejected, slowest %d ms%n", CASES, parsed, rejected, worst);
        assertTrue(parsed > 0 && rejected > 0);
    }

    /** A file's bytes (or only its header and a little data), and where its header ends. */
    private record Seed(byte[] bytes, int headerEnd) {
    }

    private static Seed seed(Path p, boolean headerOnly) throws Exception {
        byte[] all = Files.readAllBytes(p);
        try (GgufFile g = GgufFile.open(p)) {
            int end = (int) g.dataStart();
            return new Seed(headerOnly ? java.util.Arrays.copyOf(all, Math.min(all.length, end + 4096)) : all, end);
        }
    }

    private static byte[] mutate(Seed seed, Random rnd) {
        byte[] d = seed.bytes().clone();
        int span = Math.min(d.length, seed.headerEnd());
        int kind = rnd.nextInt(6);
        switch (kind) {
            case 0 -> { // flip random bits in the header region
                for (int i = 0, n = 1 + rnd.nextInt(8); i < n; i++) {
                    int at = rnd.nextInt(span);
                    d[at] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            case 1 -> { // overwrite an aligned 8-byte field with an extreme value
                int at = rnd.nextInt((span - 8) / 4) * 4;
                long v = switch (rnd.nextInt(5)) {
                    case 0 -> -1L;
                    case 1 -> Long.MAX_VALUE;
                    case 2 -> 0;
                    case 3 -> 1L << 32;
                    default -> rnd.nextLong();
                };
                ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
            }
            case 2 -> d = java.util.Arrays.copyOf(d, rnd.nextInt(d.length)); // truncate
            case 3 -> { // overwrite a 4-byte field with a small count or type id
                int at = rnd.nextInt((span - 4) / 4) * 4;
                ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).putInt(at, rnd.nextInt(64) - 2);
            }
            case 4 -> { // random bytes over a stretch
                int at = rnd.nextInt(span);
                for (int i = at; i < Math.min(d.length, at + 1 + rnd.nextInt(32)); i++) d[i] = (byte) rnd.nextInt();
            }
            default -> { // duplicate a stretch of the header into another place
                int len = 1 + rnd.nextInt(64);
                int from = rnd.nextInt(Math.max(1, span - len));
                int to = rnd.nextInt(Math.max(1, span - len));
                System.arraycopy(d.clone(), from, d, to, Math.min(len, d.length - Math.max(from, to)));
            }
        }
        return d;
    }
}
