package io.jdpo.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * 20,000 mutated preference files (truncation, bit flips, deep nesting, huge strings, wrong
 * types, invalid UTF-8), as JSONL, JSON and gzip of either, through both readers (paired, with
 * the format detected and with each format forced; unpaired): a file either reads or fails with a DataException
 * that names file:line:column (a damaged gzip stream, which has no lines, names the file).
 */
class PreferenceFuzzTest {
    static final int CASES = Integer.getInteger("jdpo.fuzz.cases", 20_000);

    private static final List<String> RECORDS = List.of(
            "{\"prompt\": \"Say hi\", \"chosen\": \"Hi there!\", \"rejected\": \"No.\"}",
            "{\"prompt\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"chosen\": [{\"role\": \"assistant\", \"content\": \"Hello\"}], \"rejected\": [{\"role\": \"assistant\", \"content\": \"Go away\"}]}",
            "{\"chosen\": [{\"role\": \"user\", \"content\": \"Q\"}, {\"role\": \"assistant\", \"content\": \"good\"}], \"rejected\": [{\"role\": \"user\", \"content\": \"Q\"}, {\"role\": \"assistant\", \"content\": \"bad\"}]}",
            "{\"input\": {\"messages\": [{\"role\": \"user\", \"content\": \"Q\"}]}, \"preferred_output\": [{\"role\": \"assistant\", \"content\": \"yes\"}], \"non_preferred_output\": [{\"role\": \"assistant\", \"content\": \"no\"}]}",
            "{\"conversations\": [{\"from\": \"human\", \"value\": \"Q\"}], \"chosen\": {\"from\": \"gpt\", \"value\": \"A\"}, \"rejected\": {\"from\": \"gpt\", \"value\": \"B\"}}",
            "{\"prompt\": \"caf\u00e9 \u2603 \ud83d\ude00\", \"chosen\": \"oui\", \"rejected\": \"non\"}");

    @Test
    void mutatedFilesReadOrFailWithFileLineAndColumn(@TempDir Path dir) throws Exception {
        SplittableRandom rnd = new SplittableRandom(Long.getLong("jdpo.fuzz.seed", 17));
        String[] suffixes = {".jsonl", ".json", ".jsonl.gz", ".json.gz"};
        PreferenceFormat[] formats = PreferenceFormat.values();
        int read = 0, refused = 0;
        for (int c = 0; c < CASES; c++) {
            String suffix = suffixes[c % suffixes.length];
            boolean array = suffix.startsWith(".json.") || suffix.equals(".json");
            byte[] text = mutate(document(rnd, array), rnd);
            byte[] bytes = suffix.endsWith(".gz") ? gzip(text, rnd) : text;
            Path file = dir.resolve("case" + suffix);
            Files.write(file, bytes);
            PreferenceFormat forced = rnd.nextInt(3) == 0 ? null : formats[rnd.nextInt(formats.length)];
            try {
                // Every reader: paired (detected or forced format) and unpaired (KTO).
                if (rnd.nextInt(4) == 0) UnpairedReader.read(file, forced);
                else PreferenceReader.read(file, forced);
                read++;
            } catch (DataException e) {
                refused++;
                String m = String.valueOf(e.getMessage());
                boolean located = Pattern.compile("(?s)^(.*/)?case\\.jsonl?(\\.gz)?:\\d+:\\d+: .+").matcher(m).matches();
                boolean gzipDamage = suffix.endsWith(".gz") && m.matches("(?s)^.*case\\.json[l]?\\.gz: not a valid gzip file.*");
                if (!located && !gzipDamage) fail("case " + c + keep(dir, c, suffix, bytes) + ": no file:line:column in: " + m);
            } catch (Throwable t) {
                fail("case " + c + keep(dir, c, suffix, bytes) + " threw " + t, t);
            }
        }
        System.out.printf("preference fuzz: %d cases, %d read, %d refused%n", CASES, read, refused);
        assertTrue(read > 0 && refused > 0, "the mutations must both keep and break files");
    }

    private static String keep(Path dir, int c, String suffix, byte[] bytes) throws Exception {
        Path kept = dir.resolveSibling("preference-fuzz-failure-" + c + suffix);
        Files.write(kept, bytes);
        return " (input kept at " + kept + ")";
    }

    private static byte[] document(SplittableRandom rnd, boolean array) {
        List<String> rows = new ArrayList<>();
        int base = rnd.nextInt(RECORDS.size());
        for (int i = 0, n = 1 + rnd.nextInt(4); i < n; i++) {
            // Mostly one format per file, sometimes a mix.
            rows.add(RECORDS.get(rnd.nextInt(5) == 0 ? rnd.nextInt(RECORDS.size()) : base));
        }
        String s = array ? "[\n  " + String.join(",\n  ", rows) + "\n]\n" : String.join("\n", rows) + "\n";
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] mutate(byte[] d, SplittableRandom rnd) {
        String s = new String(d, StandardCharsets.UTF_8);
        return switch (rnd.nextInt(9)) {
            case 0 -> d; // unchanged
            case 1 -> Arrays.copyOf(d, rnd.nextInt(d.length + 1)); // truncated
            case 2 -> { // bit flips
                byte[] x = d.clone();
                for (int i = 0, n = 1 + rnd.nextInt(4); i < n; i++) x[rnd.nextInt(x.length)] ^= (byte) (1 << rnd.nextInt(8));
                yield x;
            }
            case 3 -> { // deep nesting where a value goes
                int depth = 1 + rnd.nextInt(rnd.nextBoolean() ? 50 : 5000);
                String open = rnd.nextBoolean() ? "[".repeat(depth) : "{\"a\":".repeat(depth);
                String close = open.startsWith("[") ? "]".repeat(depth) : "}".repeat(depth);
                yield s.replaceFirst("\"chosen\": ", "\"chosen\": " + java.util.regex.Matcher.quoteReplacement(
                        rnd.nextBoolean() ? open + "1" + close : open)).getBytes(StandardCharsets.UTF_8);
            }
            case 4 -> { // a huge string value
                String huge = "x".repeat(rnd.nextInt(1 << 16, 1 << 20));
                yield s.replaceFirst("\"rejected\": \"[^\"]*\"", "\"rejected\": \"" + huge + "\"")
                        .replaceFirst("\"content\": \"[^\"]*\"", "\"content\": \"" + huge + "\"").getBytes(StandardCharsets.UTF_8);
            }
            case 5 -> { // a value of the wrong type
                String[] wrong = {"7", "null", "true", "[]", "{}", "[1, 2]", "{\"role\": 3}", "\"\"", "-1e999"};
                String field = new String[]{"prompt", "chosen", "rejected", "content", "role", "from", "value", "messages",
                        "conversations", "input", "preferred_output"}[rnd.nextInt(11)];
                yield s.replaceFirst("\"" + field + "\": (\"[^\"]*\"|\\[[^\\]]*\\]|\\{[^}]*\\})",
                        java.util.regex.Matcher.quoteReplacement("\"" + field + "\": " + wrong[rnd.nextInt(wrong.length)]))
                        .getBytes(StandardCharsets.UTF_8);
            }
            case 6 -> { // invalid UTF-8 inside a string or between tokens
                byte[][] bad = {{(byte) 0xC3}, {(byte) 0xFF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80},
                        {(byte) 0xE2, (byte) 0x82}, {(byte) 0xC0, (byte) 0xAF}};
                byte[] b = bad[rnd.nextInt(bad.length)];
                int at = rnd.nextInt(d.length + 1);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.write(d, 0, at);
                out.writeBytes(b);
                out.write(d, at, d.length - at);
                yield out.toByteArray();
            }
            case 7 -> { // a record duplicated, a field dropped, or an empty document
                int which = rnd.nextInt(3);
                if (which == 0) yield (s + s).getBytes(StandardCharsets.UTF_8);
                if (which == 1) yield s.replaceFirst("\"rejected\": [^,}]*[,}]?", "").getBytes(StandardCharsets.UTF_8);
                yield rnd.nextBoolean() ? new byte[0] : "\n  \n".getBytes(StandardCharsets.UTF_8);
            }
            default -> { // random bytes over a stretch
                byte[] x = d.clone();
                int at = rnd.nextInt(x.length);
                for (int i = at; i < Math.min(x.length, at + 1 + rnd.nextInt(16)); i++) x[i] = (byte) rnd.nextInt(256);
                yield x;
            }
        };
    }

    private static byte[] gzip(byte[] text, SplittableRandom rnd) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(text);
        }
        byte[] z = out.toByteArray();
        return switch (rnd.nextInt(8)) {
            case 0 -> Arrays.copyOf(z, rnd.nextInt(z.length)); // the stream cut short
            case 1 -> { // a flipped bit in the compressed stream (bad CRC or bad deflate data)
                z[rnd.nextInt(z.length)] ^= (byte) (1 << rnd.nextInt(8));
                yield z;
            }
            default -> z;
        };
    }
}
