package io.jdpo.gguf;

import io.jdpo.testing.TestModelFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The GGUF fuzzer, run in its own small-heap JVM ({@link GgufFuzzTest} with 20,000 cases,
 * {@code scripts/fuzz.sh} with 100,000 or more): first files whose arrays are huge but fit
 * (a 100 MB u8 array, 12 million empty strings), then mutated real files. Every case must
 * parse or throw {@link GgufFormatException}; anything else (an OutOfMemoryError above all)
 * ends the run with exit code 1 and the input kept beside the work folder.
 *
 * <p>Arguments: stories260K.gguf, llama-2-tiny-random.gguf, work folder, cases, seed.
 */
public final class GgufFuzz {
    private GgufFuzz() {
    }

    public static void main(String[] args) throws Exception {
        Path stories = Path.of(args[0]), tiny = Path.of(args[1]), dir = Path.of(args[2]);
        int cases = Integer.parseInt(args[3]);
        long seed = Long.parseLong(args[4]);
        Files.createDirectories(dir);
        hugeArrays(dir);
        List<Seed> seeds = new ArrayList<>();
        seeds.add(seed(TestModelFactory.write(stories,
                new TestModelFactory.Shape(8, 1, 2, 1, 16, 64), 1, dir.resolve("llama.gguf")), false));
        seeds.add(seed(TestModelFactory.write(stories,
                new TestModelFactory.Shape(8, 1, 2, 1, 16, 64, TestModelFactory.Arch.QWEN2, true), 1, dir.resolve("qwen2.gguf")), false));
        seeds.add(seed(stories, true));
        seeds.add(seed(tiny, true));
        Random rnd = new Random(seed);
        Path file = dir.resolve("case.gguf");
        int parsed = 0, rejected = 0;
        long worst = 0;
        for (int c = 0; c < cases; c++) {
            byte[] data = mutate(seeds.get(c % seeds.size()), rnd);
            Files.write(file, data);
            long t0 = System.nanoTime();
            try (GgufFile g = GgufFile.open(file)) {
                for (GgufTensorInfo t : g.tensors()) g.data(t);
                for (GgufValue v : g.metadata().values()) touch(v);
                parsed++;
            } catch (GgufFormatException e) {
                rejected++;
            } catch (Throwable t) {
                Path keep = dir.resolveSibling("gguf-fuzz-failure-" + c + ".gguf");
                Files.write(keep, data);
                System.out.println("FAIL case " + c + " threw " + t + " (input kept at " + keep + ")");
                t.printStackTrace(System.out);
                System.exit(1);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            // The first cases run before the JIT has warmed up.
            if (c >= 200) worst = Math.max(worst, ms);
        }
        if (parsed == 0 || rejected == 0) {
            System.out.println("FAIL the mutations never " + (parsed == 0 ? "parsed" : "failed"));
            System.exit(1);
        }
        System.out.printf("gguf fuzz: %d cases, %d parsed, %d rejected, slowest %d ms%n", cases, parsed, rejected, worst);
    }

    /** Reads every element once (first and last for big arrays), as a consumer would. */
    private static void touch(GgufValue v) {
        if (v.type() != GgufValueType.ARRAY) return;
        List<Object> list = v.asList();
        for (int i = 0; i < Math.min(list.size(), 64); i++) {
            if (list.get(i) instanceof GgufValue nested) touch(nested);
        }
        if (!list.isEmpty() && list.getLast() instanceof GgufValue nested) touch(nested);
    }

    /** Valid files whose arrays are large but fit: 100 MB of u8, 12.5 million empty strings. */
    static void hugeArrays(Path dir) throws IOException {
        long u8 = 100L << 20, strings = 12_500_000L;
        Path p = dir.resolve("huge-arrays.gguf");
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(p), 1 << 20)) {
            out.write(le(GgufFile.MAGIC, 4));
            out.write(le(3, 4));
            out.write(le(0, 8));
            out.write(le(2, 8));
            key(out, "fuzz.bytes");
            out.write(le(GgufValueType.ARRAY.id(), 4));
            out.write(le(GgufValueType.UINT8.id(), 4));
            out.write(le(u8, 8));
            byte[] chunk = new byte[1 << 20];
            for (long i = 0; i < u8; i += chunk.length) out.write(chunk);
            key(out, "fuzz.strings");
            out.write(le(GgufValueType.ARRAY.id(), 4));
            out.write(le(GgufValueType.STRING.id(), 4));
            out.write(le(strings, 8));
            byte[] empty = le(0, 8);
            for (long i = 0; i < strings; i++) out.write(empty);
        }
        try (GgufFile g = GgufFile.open(p)) {
            if (g.get("fuzz.bytes").asList().size() != u8 || g.get("fuzz.strings").asList().size() != strings
                    || !g.get("fuzz.strings").asList().getLast().equals("")) {
                throw new AssertionError("huge arrays read back wrong");
            }
        } finally {
            Files.delete(p);
        }
        System.out.println("huge arrays: 100 MB u8 and 12.5 M strings opened");
    }

    private static void key(OutputStream out, String k) throws IOException {
        byte[] b = k.getBytes(StandardCharsets.UTF_8);
        out.write(le(b.length, 8));
        out.write(b);
    }

    private static byte[] le(long v, int bytes) {
        return Arrays.copyOf(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array(), bytes);
    }

    /** A file's bytes (or only its header and a little data), and where its header ends. */
    private record Seed(byte[] bytes, int headerEnd) {
    }

    private static Seed seed(Path p, boolean headerOnly) throws Exception {
        byte[] all = Files.readAllBytes(p);
        try (GgufFile g = GgufFile.open(p)) {
            int end = (int) g.dataStart();
            return new Seed(headerOnly ? Arrays.copyOf(all, Math.min(all.length, end + 4096)) : all, end);
        }
    }

    private static byte[] mutate(Seed seed, Random rnd) {
        byte[] d = seed.bytes().clone();
        int span = Math.min(d.length, seed.headerEnd());
        int kind = rnd.nextInt(7);
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
            case 2 -> d = Arrays.copyOf(d, rnd.nextInt(d.length)); // truncate
            case 3 -> { // overwrite a 4-byte field with a small count or type id
                int at = rnd.nextInt((span - 4) / 4) * 4;
                ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).putInt(at, rnd.nextInt(64) - 2);
            }
            case 4 -> { // random bytes over a stretch
                int at = rnd.nextInt(span);
                for (int i = at; i < Math.min(d.length, at + 1 + rnd.nextInt(32)); i++) d[i] = (byte) rnd.nextInt();
            }
            case 5 -> { // an array's count set to as many elements as the rest of the file could hold
                int at = 4 + rnd.nextInt((span - 12) / 4) * 4;
                long remaining = d.length - at - 8;
                long n = switch (rnd.nextInt(3)) {
                    case 0 -> remaining;
                    case 1 -> remaining / 8;
                    default -> remaining / 12;
                };
                ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN).putLong(at, n);
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
