package io.jdpo.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reads preference files: JSON Lines ({@code .jsonl}), a JSON array ({@code .json}), either
 * gzip-compressed ({@code .gz}). The format is detected from the first record unless given.
 * Errors name the file, line and column (malformed JSON, invalid UTF-8) or the field (missing,
 * wrongly typed). Empty and identical chosen/rejected pairs are skipped and counted, never
 * dropped silently.
 */
public final class PreferenceReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The examples kept, a count of everything read, skipped and why, and the findings of the
     * file's rows (which the encoder goes on adding to).
     */
    public record Data(List<PreferenceExample> examples, PreferenceFormat format, Map<String, Integer> counts, RowFindings findings) {
    }

    private PreferenceReader() {
    }

    /** format null = detect from the first record; skipped rows are counted, never fatal. */
    public static Data read(Path file, PreferenceFormat format) throws IOException {
        return read(file, format, new RowFindings(false));
    }

    /** As {@link #read(Path, PreferenceFormat)}, noting skipped rows in {@code findings} (fatal when it is strict). */
    public static Data read(Path file, PreferenceFormat format, RowFindings findings) throws IOException {
        byte[] bytes = load(file);
        String name = file.getFileName().toString().replaceFirst("\\.gz$", "");
        List<Located> rows = name.endsWith(".json") || firstNonSpace(bytes) == '[' ? array(file, bytes) : lines(file, bytes);
        if (rows.isEmpty()) throw new DataException(file + ": no records");
        PreferenceFormat f = format != null ? format : PreferenceFormat.detect(rows.getFirst().node, rows.getFirst().origin);
        Map<String, Integer> counts = new LinkedHashMap<>();
        counts.put("read", rows.size());
        counts.put("skipped_empty", 0);
        counts.put("skipped_identical", 0);
        List<PreferenceExample> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Located r = rows.get(i);
            PreferenceExample e = f.read(r.node, r.origin).atRow(i + 1);
            if (e.chosen().isBlank() || e.rejected().isBlank()) {
                findings.note(RowFindings.Kind.SKIPPED_EMPTY, e, null);
                counts.merge("skipped_empty", 1, Integer::sum);
            } else if (e.chosen().equals(e.rejected())) {
                findings.note(RowFindings.Kind.SKIPPED_IDENTICAL, e, null);
                counts.merge("skipped_identical", 1, Integer::sum);
            } else {
                out.add(e);
            }
        }
        counts.put("kept", out.size());
        return new Data(out, f, counts, findings);
    }

    /** A record and where it came from ("file:line"). */
    record Located(JsonNode node, String origin) {
    }

    /** The file's records (JSONL or a JSON array, gzip or not), each with its origin; shared with {@link UnpairedReader}. */
    static List<Located> records(Path file) throws IOException {
        byte[] bytes = load(file);
        String name = file.getFileName().toString().replaceFirst("\\.gz$", "");
        List<Located> rows = name.endsWith(".json") || firstNonSpace(bytes) == '[' ? array(file, bytes) : lines(file, bytes);
        if (rows.isEmpty()) throw new DataException(file + ": no records");
        return rows;
    }

    private static byte[] load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new DataException("data file not found: " + file);
        try (InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(Files.newInputStream(file)) : Files.newInputStream(file)) {
            return in.readAllBytes();
        } catch (java.util.zip.ZipException e) {
            throw new DataException(file + ": not a valid gzip file (" + e.getMessage() + ")");
        }
    }

    private static int firstNonSpace(byte[] b) {
        for (byte x : b) if (!Character.isWhitespace(x)) return x;
        return -1;
    }

    private static List<Located> lines(Path file, byte[] bytes) {
        List<Located> out = new ArrayList<>();
        int line = 1, start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == '\n') {
                if (i > start && !blank(bytes, start, i)) {
                    try (JsonParser p = JSON.getFactory().createParser(bytes, start, i - start)) {
                        JsonNode node = JSON.readTree(p);
                        if (p.nextToken() != null) throw new DataException(file + ":" + line + ": more than one JSON value on the line");
                        out.add(new Located(node, file.getFileName() + ":" + line));
                    } catch (JsonProcessingException e) {
                        throw malformed(file, line, e);
                    } catch (IOException e) {
                        throw new DataException(file + ":" + line + ": " + e.getMessage(), e);
                    }
                }
                line++;
                start = i + 1;
            }
        }
        return out;
    }

    private static List<Located> array(Path file, byte[] bytes) {
        List<Located> out = new ArrayList<>();
        try (JsonParser p = JSON.getFactory().createParser(new ByteArrayInputStream(bytes))) {
            if (p.nextToken() != JsonToken.START_ARRAY) throw new DataException(file + ":1: expected a JSON array of records");
            while (p.nextToken() != JsonToken.END_ARRAY) {
                if (p.currentToken() == null) throw new DataException(file + ": unexpected end of file inside the array");
                int line = p.currentTokenLocation().getLineNr();
                out.add(new Located(JSON.readTree(p), file.getFileName() + ":" + line));
            }
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            throw malformed(file, loc == null ? 0 : loc.getLineNr(), e);
        } catch (IOException e) {
            throw new DataException(file + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** "file:line:column: what" from a Jackson error, without Jackson's source dump. */
    private static DataException malformed(Path file, int line, JsonProcessingException e) {
        JsonLocation loc = e.getLocation();
        String col = loc == null ? "" : ":" + loc.getColumnNr();
        String what = e.getOriginalMessage();
        if (what.contains("UTF-8")) what = "invalid UTF-8 (" + what + ")";
        return new DataException(file + ":" + line + col + ": malformed JSON: " + what, e);
    }

    private static boolean blank(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) if (!Character.isWhitespace(b[i])) return false;
        return true;
    }
}
