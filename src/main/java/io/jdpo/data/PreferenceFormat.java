package io.jdpo.data;

import com.fasterxml.jackson.databind.JsonNode;
import io.jdpo.llama.ChatMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The preference data layouts jdpo reads, each mapped to a {@link PreferenceExample}:
 * <ul>
 * <li>{@code standard} (TRL): {"prompt": str, "chosen": str, "rejected": str}</li>
 * <li>{@code conversational} (TRL): prompt, chosen and rejected as lists of {role, content}</li>
 * <li>{@code implicit} (HH-RLHF): chosen and rejected are whole transcripts (strings or message
 * lists) sharing the prompt as their common prefix</li>
 * <li>{@code openai} (preference fine-tuning): {"input": {"messages": [...]}, "preferred_output":
 * [...], "non_preferred_output": [...]}</li>
 * <li>{@code sharegpt} (LLaMA-Factory): {"conversations": [{from, value}], "chosen": {from, value},
 * "rejected": {from, value}}, optional "system"</li>
 * </ul>
 */
public enum PreferenceFormat {
    /** TRL's standard layout: prompt, chosen and rejected strings. */
    STANDARD,
    /** TRL's conversational layout: prompt, chosen and rejected as message lists. */
    CONVERSATIONAL,
    /** HH-RLHF: two whole transcripts whose common prefix is the prompt. */
    IMPLICIT,
    /** OpenAI's preference fine-tuning layout. */
    OPENAI,
    /** LLaMA-Factory's ShareGPT layout. */
    SHAREGPT;

    /** The split point of implicit-prompt transcripts: the prompt ends after the last assistant tag of the shared prefix. */
    private static final String ASSISTANT_TAG = "\n\nAssistant:";

    /**
     * A format by its CLI name.
     *
     * @param name "standard", "conversational", "implicit", "openai" or "sharegpt", in any case
     * @return the format
     * @throws IllegalArgumentException listing the valid names when {@code name} is none of them
     */
    public static PreferenceFormat parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown data format '" + name + "'; valid: standard, conversational, implicit, openai, sharegpt");
        }
    }

    /**
     * The format a record is in, judged by its fields: "conversations" means ShareGPT, "input"
     * with "preferred_output" OpenAI, "prompt" standard (conversational when it is a list), and
     * chosen with rejected alone implicit.
     *
     * @param row    a parsed record
     * @param origin its "file:line:column", for the error
     * @return the format
     * @throws DataException when the record is not an object or its fields fit no format
     */
    public static PreferenceFormat detect(JsonNode row, String origin) {
        if (!row.isObject()) throw new DataException(origin + ": expected a JSON object, found " + kind(row));
        if (row.has("conversations")) return SHAREGPT;
        if (row.has("input") && row.has("preferred_output")) return OPENAI;
        if (row.has("prompt")) return row.get("prompt").isArray() ? CONVERSATIONAL : STANDARD;
        if (row.has("chosen") && row.has("rejected")) return IMPLICIT;
        throw new DataException(origin + ": cannot tell the format from fields " + fieldNames(row)
                + "; expected prompt/chosen/rejected, chosen/rejected, input/preferred_output/non_preferred_output or conversations/chosen/rejected");
    }

    /**
     * Maps one record of this format to an example (row 0; the reader sets the row).
     *
     * @param row    a parsed record
     * @param origin its "file:line:column", for errors and the example's origin
     * @return the example
     * @throws DataException naming the origin and the field when a field is missing or of the wrong
     *                       type, or (implicit) the transcripts share no prompt
     */
    public PreferenceExample read(JsonNode row, String origin) {
        if (!row.isObject()) throw new DataException(origin + ": expected a JSON object");
        return switch (this) {
            case STANDARD -> PreferenceExample.text(origin, text(row, "prompt", origin), text(row, "chosen", origin), text(row, "rejected", origin));
            case CONVERSATIONAL -> PreferenceExample.chat(origin, messages(field(row, "prompt", origin), "prompt", origin),
                    reply(field(row, "chosen", origin), "chosen", origin), reply(field(row, "rejected", origin), "rejected", origin));
            case IMPLICIT -> implicit(row, origin);
            case OPENAI -> PreferenceExample.chat(origin, messages(field(field(row, "input", origin), "messages", origin), "input.messages", origin),
                    reply(field(row, "preferred_output", origin), "preferred_output", origin),
                    reply(field(row, "non_preferred_output", origin), "non_preferred_output", origin));
            case SHAREGPT -> sharegpt(row, origin);
        };
    }

    private static PreferenceExample implicit(JsonNode row, String origin) {
        JsonNode c = field(row, "chosen", origin), r = field(row, "rejected", origin);
        if (c.isTextual() && r.isTextual()) {
            String a = c.asText(), b = r.asText();
            int n = 0, max = Math.min(a.length(), b.length());
            while (n < max && a.charAt(n) == b.charAt(n)) n++;
            int tag = a.lastIndexOf(ASSISTANT_TAG, n - ASSISTANT_TAG.length());
            int cut = tag >= 0 ? tag + ASSISTANT_TAG.length() : n;
            return PreferenceExample.text(origin, a.substring(0, cut), a.substring(cut), b.substring(cut));
        }
        if (c.isArray() && r.isArray()) {
            List<ChatMessage> a = messages(c, "chosen", origin), b = messages(r, "rejected", origin);
            if (a.isEmpty() || b.isEmpty()) throw new DataException(origin + ": field 'chosen'/'rejected' has no messages");
            List<ChatMessage> prompt = a.subList(0, a.size() - 1);
            if (!prompt.equals(b.subList(0, b.size() - 1))) {
                throw new DataException(origin + ": chosen and rejected conversations differ before their last message (no shared prompt)");
            }
            return PreferenceExample.chat(origin, prompt, a.getLast().content(), b.getLast().content());
        }
        throw new DataException(origin + ": fields 'chosen' and 'rejected' must both be strings or both message lists");
    }

    private static PreferenceExample sharegpt(JsonNode row, String origin) {
        List<ChatMessage> prompt = new ArrayList<>();
        if (row.hasNonNull("system")) prompt.add(ChatMessage.system(text(row, "system", origin)));
        JsonNode conv = field(row, "conversations", origin);
        if (!conv.isArray()) throw new DataException(origin + ": field 'conversations' must be a list");
        for (int i = 0; i < conv.size(); i++) prompt.add(shareGptTurn(conv.get(i), "conversations[" + i + "]", origin));
        ChatMessage c = shareGptTurn(field(row, "chosen", origin), "chosen", origin);
        ChatMessage r = shareGptTurn(field(row, "rejected", origin), "rejected", origin);
        return PreferenceExample.chat(origin, prompt, c.content(), r.content());
    }

    private static ChatMessage shareGptTurn(JsonNode t, String where, String origin) {
        if (!t.isObject()) throw new DataException(origin + ": field '" + where + "' must be an object {from, value}");
        String from = text(t, "from", origin, where + ".from"), value = text(t, "value", origin, where + ".value");
        String role = switch (from) {
            case "human", "user" -> "user";
            case "gpt", "assistant", "model" -> "assistant";
            case "system" -> "system";
            default -> throw new DataException(origin + ": field '" + where + ".from' is '" + from + "'; expected human, gpt or system");
        };
        return new ChatMessage(role, value);
    }

    /** A completion given as a string, one message, or a list whose last message is the reply. */
    static String reply(JsonNode n, String where, String origin) {
        if (n.isTextual()) return n.asText();
        if (n.isObject()) return text(n, "content", origin, where + ".content");
        if (n.isArray() && !n.isEmpty()) return messages(n, where, origin).getLast().content();
        throw new DataException(origin + ": field '" + where + "' must be a string, a message or a non-empty list of messages");
    }

    static List<ChatMessage> messages(JsonNode n, String where, String origin) {
        if (!n.isArray()) throw new DataException(origin + ": field '" + where + "' must be a list of {role, content}, found " + kind(n));
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            JsonNode m = n.get(i);
            String w = where + "[" + i + "]";
            if (!m.isObject()) throw new DataException(origin + ": field '" + w + "' must be an object {role, content}");
            out.add(new ChatMessage(text(m, "role", origin, w + ".role"), text(m, "content", origin, w + ".content")));
        }
        return out;
    }

    /** The row's field {@code name}, or a DataException at {@code origin} when it is missing or null. */
    static JsonNode field(JsonNode row, String name, String origin) {
        JsonNode n = row.get(name);
        if (n == null || n.isNull()) throw new DataException(origin + ": missing field '" + name + "'");
        return n;
    }

    private static String text(JsonNode row, String name, String origin) {
        return text(row, name, origin, name);
    }

    private static String text(JsonNode row, String name, String origin, String where) {
        JsonNode n = row.get(name);
        if (n == null || n.isNull()) throw new DataException(origin + ": missing field '" + where + "'");
        if (!n.isTextual()) throw new DataException(origin + ": field '" + where + "' must be a string, found " + kind(n));
        return n.asText();
    }

    /** A JSON node's type as messages name it ("number", "array", ...). */
    static String kind(JsonNode n) {
        return n.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    private static String fieldNames(JsonNode row) {
        List<String> names = new ArrayList<>();
        row.fieldNames().forEachRemaining(names::add);
        return names.toString();
    }
}
