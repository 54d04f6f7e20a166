package io.jdpo.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Prompts for the runs that sample in the loop (online DPO, the frontier): TRL's prompt-only
 * format, one {@code {"prompt": "..."}} object per line of a {@code .jsonl} file, or any
 * other file as plain text, one prompt per non-blank line.
 */
public final class PromptFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PromptFile() {
    }

    /**
     * Reads the prompts of a file, in order.
     *
     * @param file a {@code .jsonl} file of {"prompt": string} records, or a text file
     * @return the prompt texts
     * @throws DataException naming file and line for malformed JSON, a missing or non-string
     *         "prompt", or a file without any prompt
     * @throws IOException when the file cannot be read
     */
    public static List<String> read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        boolean jsonl = file.getFileName().toString().endsWith(".jsonl");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) continue;
            if (!jsonl) {
                out.add(line);
                continue;
            }
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (IOException e) {
                throw new DataException(file + ":" + (i + 1) + ": not a JSON object: " + e.getMessage(), e);
            }
            if (n == null || !n.path("prompt").isTextual()) {
                throw new DataException(file + ":" + (i + 1) + ": field \"prompt\" missing or not a string (prompt-only format: {\"prompt\": \"...\"})");
            }
            out.add(n.get("prompt").asText());
        }
        if (out.isEmpty()) throw new DataException(file + ": no prompt");
        return out;
    }
}
