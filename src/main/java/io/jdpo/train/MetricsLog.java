package io.jdpo.train;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * metrics.jsonl: one JSON object per line, TRL's metric names, flushed as each row arrives
 * so a crashed run keeps what it logged. A resumed run first drops the rows logged after
 * its checkpoint, so the file reads as one uninterrupted run.
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BufferedWriter out;

    MetricsLog(Path file, int resumeStep) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        if (resumeStep > 0 && Files.exists(file)) {
            // Rewritten beside and renamed, so a kill now leaves the old file or the new one.
            Path tmp = file.resolveSibling("." + file.getFileName() + ".resume.partial");
            Files.write(tmp, rowsUpTo(file, resumeStep), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } else {
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        }
    }

    /** The complete rows logged up to a step; a last line a kill cut short (no newline) is dropped. */
    private static List<String> rowsUpTo(Path file, int step) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int end = text.lastIndexOf('\n') + 1;
        List<String> keep = new ArrayList<>();
        for (String line : text.substring(0, end).split("\n")) {
            if (line.isBlank()) continue;
            if (JSON.readTree(line).path("step").asInt() <= step) keep.add(line);
        }
        return keep;
    }

    /**
     * A new metrics file for a run that logs its own rows (online DPO, the frontier),
     * replacing an earlier file of that name.
     *
     * @param file the metrics.jsonl to write
     * @return the open log; rows are flushed as they are written
     * @throws IOException when the file cannot be created
     */
    public static MetricsLog create(Path file) throws IOException {
        return new MetricsLog(file, 0);
    }

    /**
     * Every row of a metrics.jsonl file, in order (for reports): the run's opening row (step-0
     * gaps, data summary) and then each {@link io.jdpo.progress.StepMetrics#row()} as written.
     *
     * @param file a metrics.jsonl file
     * @return the rows as JSON objects (numbers as Integer or Double)
     * @throws IOException if the file cannot be read or a line is not JSON
     */
    public static List<Map<String, Object>> read(Path file) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) rows.add(JSON.readValue(line, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { }));
        }
        return rows;
    }

    /**
     * Appends one row as a JSON line and flushes it.
     *
     * @param row metric name → value (numbers, strings, booleans, nested maps)
     * @throws IOException when the line cannot be written
     */
    public void write(Map<String, Object> row) throws IOException {
        out.write(JSON.writeValueAsString(row));
        out.newLine();
        out.flush();
    }

    /** Closes the file (every row is already flushed). */
    @Override
    public void close() throws IOException {
        out.close();
    }
}
