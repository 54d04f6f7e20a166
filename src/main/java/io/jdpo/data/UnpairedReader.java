package io.jdpo.data;

import com.fasterxml.jackson.databind.JsonNode;
import io.jdpo.llama.ChatMessage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.jdpo.data.PreferenceFormat.field;
import static io.jdpo.data.PreferenceFormat.kind;

/**
 * Reads unpaired (KTO) data: TRL's unpaired preference format, {"prompt": str | messages,
 * "completion": str | messages, "label": true | false}, as JSON Lines or a JSON array, gzip
 * or not, with the errors of {@link PreferenceReader} (file:line:column for malformed JSON,
 * the field for a missing or mistyped one). A file in any paired format is read by
 * {@link PreferenceReader} and split: each pair gives its chosen completion as desirable and
 * its rejected one as undesirable. Examples with an empty completion are skipped and counted.
 */
public final class UnpairedReader {
    /**
     * What a file held.
     *
     * @param examples the examples kept, in file order
     * @param format   "unpaired", or the paired format that was split (e.g. "standard pairs split")
     * @param counts   "read", "skipped_empty" and "kept" counts ("desirable" and "undesirable" too
     *                 for an unpaired file; a split file's "kept" counts examples, two per pair)
     */
    public record Data(List<UnpairedExample> examples, String format, Map<String, Integer> counts) {
    }

    private UnpairedReader() {
    }

    /**
     * Reads unpaired examples, or splits a paired file into them.
     *
     * @param file         the data (JSON Lines or a JSON array, optionally {@code .gz})
     * @param pairedFormat the layout of a paired file to split, or null to detect it; when null, a file
     *                     whose first record has a "completion" field is read as unpaired data
     * @return the examples and counts
     * @throws DataException naming file:line:column (and the field) for anything
     *                       {@link PreferenceReader#read(Path, PreferenceFormat)} refuses, or a
     *                       record without a boolean "label" or with mistyped fields
     * @throws IOException   when the file exists but cannot be read
     */
    public static Data read(Path file, PreferenceFormat pairedFormat) throws IOException {
        List<PreferenceReader.Located> rows = PreferenceReader.records(file);
        JsonNode first = rows.getFirst().node();
        if (pairedFormat != null || !first.isObject() || !first.has("completion")) {
            PreferenceReader.Data paired = PreferenceReader.read(file, pairedFormat);
            List<UnpairedExample> out = new ArrayList<>();
            for (PreferenceExample e : paired.examples()) out.addAll(UnpairedExample.split(e));
            Map<String, Integer> counts = new LinkedHashMap<>(paired.counts());
            counts.put("kept", out.size());
            return new Data(out, paired.format().name().toLowerCase(Locale.ROOT) + " pairs split", counts);
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        counts.put("read", rows.size());
        counts.put("skipped_empty", 0);
        List<UnpairedExample> out = new ArrayList<>();
        int desirable = 0;
        for (PreferenceReader.Located r : rows) {
            UnpairedExample e = parse(r.node(), r.origin());
            if (e.completion().isBlank()) {
                counts.merge("skipped_empty", 1, Integer::sum);
            } else {
                out.add(e);
                if (e.desirable()) desirable++;
            }
        }
        counts.put("kept", out.size());
        counts.put("desirable", desirable);
        counts.put("undesirable", out.size() - desirable);
        return new Data(out, "unpaired", counts);
    }

    static UnpairedExample parse(JsonNode row, String origin) {
        if (!row.isObject()) throw new DataException(origin + ": expected a JSON object, found " + kind(row));
        JsonNode prompt = field(row, "prompt", origin), completion = field(row, "completion", origin), label = field(row, "label", origin);
        if (!label.isBoolean()) throw new DataException(origin + ": field 'label' must be true or false, found " + kind(label));
        if (prompt.isTextual()) {
            if (!completion.isTextual()) {
                throw new DataException(origin + ": field 'completion' must be a string when the prompt is one, found " + kind(completion));
            }
            return new UnpairedExample(origin, null, prompt.asText(), completion.asText(), label.asBoolean());
        }
        if (prompt.isArray()) {
            List<ChatMessage> messages = PreferenceFormat.messages(prompt, "prompt", origin);
            return new UnpairedExample(origin, messages, null, PreferenceFormat.reply(completion, "completion", origin), label.asBoolean());
        }
        throw new DataException(origin + ": field 'prompt' must be a string or a list of {role, content}, found " + kind(prompt));
    }
}
