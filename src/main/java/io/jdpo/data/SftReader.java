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
 * Reads supervised fine-tuning data, TRL's SFT dataset formats, as JSON Lines or a JSON array,
 * gzip or not (the reading and its errors are {@link PreferenceReader}'s):
 * <ul>
 * <li>prompt-completion: {"prompt": str, "completion": str}, or conversational with the prompt
 * a list of {role, content} and the completion a message or a list of them (the last one is
 * the reply); a "label" field, if any (KTO data), keeps only the rows labelled true</li>
 * <li>conversational language modeling: {"messages": [{role, content}, ...]}: the last assistant
 * message is the completion, everything before it the prompt (earlier assistant turns are
 * context, not trained: a completion-only loss on the final reply)</li>
 * <li>language modeling: {"text": str}: the whole text is the completion of an empty prompt
 * (only the BOS, when the tokenizer adds one)</li>
 * <li>any preference format ({@link PreferenceFormat}): each pair's chosen completion, the DPO
 * paper's Preferred-FT</li>
 * </ul>
 * The format is detected from the first record unless a preference format is forced. Rows with
 * an empty completion are skipped and counted.
 */
public final class SftReader {
    /**
     * The examples kept (each a {@link PreferenceExample#completion}), the layout read, the counts
     * and the rows' findings (which the encoder goes on adding to).
     *
     * @param examples the examples, in file order
     * @param format   "prompt_completion", "messages", "text", or "FORMAT chosen" for preference data
     * @param counts   read, skipped_empty, skipped_undesirable (labelled data), kept
     * @param findings what happened to the rows
     */
    public record Data(List<PreferenceExample> examples, String format, Map<String, Integer> counts, RowFindings findings) {
        /**
         * This file's counts and row paths, as metrics.jsonl's first record shows them.
         *
         * @param file    the file read
         * @param samples the examples encoded from it
         * @return the summary
         */
        public Map<String, Object> summary(Path file, int samples) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", file.toString());
            m.put("format", format);
            m.put("rows_read", counts.get("read"));
            m.put("samples", samples);
            m.put("paths", findings.toMap());
            return m;
        }
    }

    private SftReader() {
    }

    /**
     * Reads a file of SFT or preference data.
     *
     * @param file            the data file
     * @param preferenceFormat a preference layout to read the file as (its chosen completions), or null to detect
     * @param findings        where skipped and repaired rows are noted (fatal when strict)
     * @return the examples
     * @throws IOException   when the file cannot be read
     * @throws DataException when a record is malformed (naming file:line:column and the field)
     */
    public static Data read(Path file, PreferenceFormat preferenceFormat, RowFindings findings) throws IOException {
        List<PreferenceReader.Located> rows = PreferenceReader.records(file);
        JsonNode first = rows.getFirst().node();
        String layout = preferenceFormat != null || !first.isObject() ? null : layout(first);
        if (layout == null) {
            PreferenceReader.Data paired = PreferenceReader.read(file, preferenceFormat, findings);
            List<PreferenceExample> out = new ArrayList<>();
            for (PreferenceExample e : paired.examples()) out.add(PreferenceExample.completion(e.origin(), e.promptMessages(), e.promptText(), e.chosen(), e.row()));
            return new Data(out, paired.format().name().toLowerCase(Locale.ROOT) + " chosen", paired.counts(), findings);
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        counts.put("read", rows.size());
        counts.put("skipped_empty", 0);
        if (first.has("label")) counts.put("skipped_undesirable", 0);
        List<PreferenceExample> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            PreferenceReader.Located r = rows.get(i);
            JsonNode row = r.node();
            if (!row.isObject()) throw new DataException(r.origin() + ": expected a JSON object, found " + kind(row));
            if (layout.equals("prompt_completion") && row.has("label")) {
                JsonNode label = row.get("label");
                if (!label.isBoolean()) throw new DataException(r.origin() + ": field 'label' must be true or false, found " + kind(label));
                if (!label.asBoolean()) {
                    counts.merge("skipped_undesirable", 1, Integer::sum);
                    continue;
                }
            }
            PreferenceExample e = parse(layout, row, r.origin(), i + 1);
            if (e.chosen().isBlank()) {
                findings.note(RowFindings.Kind.SKIPPED_EMPTY, e, null);
                counts.merge("skipped_empty", 1, Integer::sum);
            } else {
                out.add(e);
            }
        }
        counts.put("kept", out.size());
        return new Data(out, layout, counts, findings);
    }

    /** The SFT layout of a record, or null when it is preference data. */
    private static String layout(JsonNode row) {
        if (row.has("chosen") || row.has("rejected") || row.has("preferred_output")) return null;
        if (row.has("prompt") && row.has("completion")) return "prompt_completion";
        if (row.has("messages")) return "messages";
        if (row.has("text")) return "text";
        return null;
    }

    private static PreferenceExample parse(String layout, JsonNode row, String origin, int n) {
        return switch (layout) {
            case "prompt_completion" -> {
                JsonNode prompt = field(row, "prompt", origin), completion = field(row, "completion", origin);
                if (prompt.isTextual()) {
                    if (!completion.isTextual()) {
                        throw new DataException(origin + ": field 'completion' must be a string when the prompt is one, found " + kind(completion));
                    }
                    yield PreferenceExample.completion(origin, null, prompt.asText(), completion.asText(), n);
                }
                if (prompt.isArray()) {
                    yield PreferenceExample.completion(origin, PreferenceFormat.messages(prompt, "prompt", origin), null,
                            PreferenceFormat.reply(completion, "completion", origin), n);
                }
                throw new DataException(origin + ": field 'prompt' must be a string or a list of {role, content}, found " + kind(prompt));
            }
            case "messages" -> {
                List<ChatMessage> all = PreferenceFormat.messages(field(row, "messages", origin), "messages", origin);
                int last = -1;
                for (int i = 0; i < all.size(); i++) if (all.get(i).role().equals("assistant")) last = i;
                if (last < 0) throw new DataException(origin + ": field 'messages' holds no assistant message to learn");
                yield PreferenceExample.completion(origin, all.subList(0, last), null, all.get(last).content(), n);
            }
            case "text" -> {
                JsonNode text = field(row, "text", origin);
                if (!text.isTextual()) throw new DataException(origin + ": field 'text' must be a string, found " + kind(text));
                yield PreferenceExample.completion(origin, null, "", text.asText(), n);
            }
            default -> throw new AssertionError(layout);
        };
    }
}
