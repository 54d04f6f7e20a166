package io.jdpo.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

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
 * Every error is a {@link DataException} naming the file, line and column: of the fault for
 * malformed JSON and invalid UTF-8, of the record (with the field) for a missing or wrongly
 * typed field. Empty and identical chosen/rejected pairs are skipped and counted, never
 * dropped silently. Files are read whole into memory. Stateless and thread-safe.
 */
public final class PreferenceReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The examples kept, a count of everything read, skipped and why, and the findings of the
     * file's rows (which the encoder goes on adding to).
     *
     * @param examples the examples kept, in file order, each with its 1-based row
     * @param format   the layout read (given or detected)
     * @param counts   "read", "skipped_empty", "skipped_identical" and "kept" record counts
     * @param findings the rows repaired or skipped so far
     */
    public record Data(List<PreferenceExample> examples, PreferenceFormat format, Map<String, Integer> counts, RowFindings findings) {
        /**
         * This file's counts and row paths, as metrics.jsonl's first record and the report show them.
         *
         * @param file  the file read, as the summary names it
         * @param pairs the pairs its examples encoded to
         * @return "file", "format", "rows_read", "pairs" and "paths" (see {@link RowFindings#toMap()})
         */
        public Map<String, Object> summary(Path file, int pairs) {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("file", file.toString());
            m.put("format", format.name().toLowerCase(java.util.Locale.ROOT));
            m.put("rows_read", counts.get("read"));
            m.put("pairs", pairs);
            m.put("paths", findings.toMap());
            return m;
        }
    }

    private PreferenceReader() {
    }

    /**
     * Reads a file; skipped rows are counted, never fatal.
     *
     * @param file   the data, optionally gzip-compressed ({@code .gz}): a {@code .json} file, or any
     *               file whose first non-blank byte is '[', is read as a JSON array, any other as JSON Lines
     * @param format the layout, or null to detect it from the first record
     * @return the examples and counts
     * @throws DataException naming file:line:column (and the field) for a missing file, malformed JSON,
     *                       invalid UTF-8, a broken gzip stream, an empty file or a record that does
     *                       not fit the format
     * @throws IOException   when the file exists but cannot be read
     */
    public static Data read(Path file, PreferenceFormat format) throws IOException {
        return read(file, format, new RowFindings(false));
    }

    /**
     * As {@link #read(Path, PreferenceFormat)}, noting skipped rows in {@code findings} (fatal when it is strict).
     *
     * @param file     a {@code .jsonl} or {@code .json} file, optionally {@code .gz}
     * @param format   the layout, or null to detect it from the first record
     * @param findings where skipped rows are noted; returned in the data for the encoder to go on with
     * @return the examples and counts
     * @throws DataException as {@link #read(Path, PreferenceFormat)}, or at the first skipped row when
     *                       {@code findings} is strict
     * @throws IOException   when the file exists but cannot be read
     */
    public static Data read(Path file, PreferenceFormat format, RowFindings findings) throws IOException {
        List<Located> rows = records(file);
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

    /** A record and where it came from ("file:line:column" of its start). */
    record Located(JsonNode node, String origin) {
    }

    /** The file's records (JSONL or a JSON array, gzip or not), each with its origin; shared with {@link UnpairedReader}. */
    static List<Located> records(Path file) throws IOException {
        byte[] bytes = load(file);
        String name = file.getFileName().toString().replaceFirst("\\.gz$", "");
        List<Located> rows = name.endsWith(".json") || firstNonSpace(bytes) == '[' ? array(file, bytes) : lines(file, bytes);
        if (rows.isEmpty()) throw new DataException(file + ":1:1: no records");
        return rows;
    }

    private static byte[] load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new DataException("data file not found: " + file);
        boolean gz = file.toString().endsWith(".gz");
        try (InputStream in = gz ? new GZIPInputStream(Files.newInputStream(file)) : Files.newInputStream(file)) {
            return in.readAllBytes();
        } catch (IOException e) {
            // A damaged gzip stream (bad header, bad CRC, cut short) has no line to point at.
            if (gz) throw new DataException(file + ": not a valid gzip file (" + e.getMessage() + ")", e);
            throw e;
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
                        if (p.nextToken() != null) {
                            throw new DataException(file + ":" + line + ":" + p.currentTokenLocation().getColumnNr()
                                    + ": more than one JSON value on the line");
                        }
                        out.add(new Located(node, file.getFileName() + ":" + line + ":" + (1 + leadingSpace(bytes, start, i))));
                    } catch (JsonProcessingException e) {
                        throw malformed(file, line, e);
                    } catch (IOException e) {
                        throw new DataException(file + ":" + line + ":1: " + e.getMessage(), e);
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
        try (JsonParser p = JSON.getFactory().createParser(bytes)) {
            try {
                if (p.nextToken() != JsonToken.START_ARRAY) {
                    JsonLocation at = p.currentTokenLocation();
                    throw new DataException(file + ":" + at.getLineNr() + ":" + at.getColumnNr() + ": expected a JSON array of records");
                }
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    JsonLocation at = p.currentTokenLocation();
                    if (p.currentToken() == null) {
                        throw new DataException(file + ":" + at.getLineNr() + ":" + at.getColumnNr()
                                + ": unexpected end of file inside the array");
                    }
                    out.add(new Located(JSON.readTree(p), file.getFileName() + ":" + at.getLineNr() + ":" + at.getColumnNr()));
                }
            } catch (JsonProcessingException e) {
                JsonLocation loc = e.getLocation();
                throw malformed(file, loc == null ? p.currentLocation().getLineNr() : loc.getLineNr(), e);
            } catch (IOException e) {
                JsonLocation loc = p.currentLocation();
                throw new DataException(file + ":" + loc.getLineNr() + ":" + loc.getColumnNr() + ": " + e.getMessage(), e);
            }
        } catch (IOException e) {
            throw new DataException(file + ":1:1: " + e.getMessage(), e);
        }
        return out;
    }

    private static int leadingSpace(byte[] b, int from, int to) {
        int n = 0;
        while (from + n < to && Character.isWhitespace(b[from + n])) n++;
        return n;
    }

    /** "file:line:column: what" from a Jackson error, without Jackson's source dump. */
    private static DataException malformed(Path file, int line, JsonProcessingException e) {
        JsonLocation loc = e.getLocation();
        String col = ":" + (loc == null ? 1 : Math.max(1, loc.getColumnNr()));
        String what = e.getOriginalMessage();
        if (what.contains("UTF-8")) what = "invalid UTF-8 (" + what + ")";
        return new DataException(file + ":" + line + col + ": malformed JSON: " + what, e);
    }

    private static boolean blank(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) if (!Character.isWhitespace(b[i])) return false;
        return true;
    }
}
