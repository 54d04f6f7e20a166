package io.jdpo.data;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What happened to the rows of one data file that could not be used exactly as written: each
 * row is repaired or skipped and counted, with the first three row numbers of each kind, so one
 * bad row among 10,000 never stops a run. In strict mode the first finding is fatal instead,
 * naming the row. Not thread-safe: one reader or encoder notes into it at a time.
 */
public final class RowFindings {
    /** The paths a row can take besides "used as written". */
    public enum Kind {
        /** Repaired: the completion is tokenized on its own after the prompt's tokens. */
        BOUNDARY_RETOKENIZED(false, "completion tokenized on its own after the prompt's tokens (the prompt/completion boundary moves under tokenization)"),
        /** Repaired: one of two leading BOS tokens removed. */
        DOUBLED_BOS_REPAIRED(false, "doubled BOS removed (the rendered text carries a BOS and the tokenizer adds another)"),
        /** Skipped: a reply is blank, or tokenizes to nothing. */
        SKIPPED_EMPTY(true, "skipped: empty chosen or rejected reply"),
        /** Skipped: chosen and rejected are the same text. */
        SKIPPED_IDENTICAL(true, "skipped: chosen and rejected replies are identical"),
        /** Skipped: the prompt has no tokens. */
        SKIPPED_EMPTY_PROMPT(true, "skipped: the prompt has no tokens (the tokenizer adds no BOS)"),
        /** Skipped: the chat template throws on the conversation. */
        SKIPPED_TEMPLATE_REFUSED(true, "skipped: the chat template refuses the conversation"),
        /** Skipped: the rendered prompt is not a prefix of the rendered conversation with the reply. */
        SKIPPED_PROMPT_NOT_PREFIX(true, "skipped: the template renders the prompt differently once the reply follows"),
        /** Skipped: a rendered reply holds no end-of-turn token. */
        SKIPPED_NO_END_OF_TURN(true, "skipped: a reply renders without an end-of-turn token");

        private final boolean skips;
        private final String description;

        Kind(boolean skips, String description) {
            this.skips = skips;
            this.description = description;
        }

        /** {@return true if rows of this kind are left out, false if they are repaired and kept} */
        public boolean skips() {
            return skips;
        }

        /** {@return one sentence for users saying what happened to the row and why} */
        public String description() {
            return description;
        }

        /** {@return the key in metrics.jsonl, e.g. "boundary_retokenized"} */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final int ROWS_SHOWN = 3;
    private final boolean strict;
    private final EnumMap<Kind, Integer> counts = new EnumMap<>(Kind.class);
    private final EnumMap<Kind, List<Integer>> firstRows = new EnumMap<>(Kind.class);
    private final EnumMap<Kind, Set<Integer>> seen = new EnumMap<>(Kind.class);
    private final Set<Integer> touched = new HashSet<>();

    /**
     * Empty findings.
     *
     * @param strict true to make the first finding throw a {@link DataException} naming the row
     *               instead of counting it
     */
    public RowFindings(boolean strict) {
        this.strict = strict;
        for (Kind k : Kind.values()) {
            counts.put(k, 0);
            firstRows.put(k, new ArrayList<>());
            seen.put(k, new HashSet<>());
        }
    }

    /** {@return whether the first finding throws} */
    public boolean strict() {
        return strict;
    }

    /**
     * Records that the example took path {@code kind}. A row (row &gt; 0) counts once per kind,
     * though both of its replies may take it; examples from no file (row 0) count every time.
     *
     * @param kind   the path taken
     * @param e      the example; its row and origin name it
     * @param detail what was seen (e.g. the template's message), or null
     * @throws DataException in strict mode, naming the row, the kind and the detail
     */
    public void note(Kind kind, PreferenceExample e, String detail) {
        if (strict) {
            throw new DataException(e.where() + ": " + kind.description() + (detail == null ? "" : " (" + detail + ")")
                    + "; --strict makes every such row fatal");
        }
        int row = e.row();
        // A row counts once per path, though both of its replies may take it.
        if (row > 0 && !seen.get(kind).add(row)) return;
        if (row > 0) touched.add(row);
        counts.merge(kind, 1, Integer::sum);
        if (firstRows.get(kind).size() < ROWS_SHOWN) firstRows.get(kind).add(row);
    }

    /**
     * How many rows took a path.
     *
     * @param kind the path
     * @return the number of rows noted with it
     */
    public int count(Kind kind) {
        return counts.get(kind);
    }

    /**
     * The first rows that took a path, for messages.
     *
     * @param kind the path
     * @return up to three 1-based row numbers (0 for examples from no file), in the order noted
     */
    public List<Integer> firstRows(Kind kind) {
        return List.copyOf(firstRows.get(kind));
    }

    /** {@return the rows (of a file, row &gt; 0) that took at least one path} */
    public int rowsTouched() {
        return touched.size();
    }

    /** {@return the rows skipped for any reason} */
    public int skipped() {
        int n = 0;
        for (Kind k : Kind.values()) if (k.skips()) n += counts.get(k);
        return n;
    }

    /** {@return one line: every path with its count, and the first rows of each path some row took} */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        for (Kind k : Kind.values()) {
            if (!sb.isEmpty()) sb.append("; ");
            sb.append(counts.get(k)).append(' ').append(k.key().replace('_', ' '));
            if (counts.get(k) > 0) sb.append(" (rows ").append(rows(k)).append(')');
        }
        return sb.toString();
    }

    private String rows(Kind k) {
        StringBuilder sb = new StringBuilder();
        for (int r : firstRows.get(k)) sb.append(sb.isEmpty() ? "" : ", ").append(r);
        return counts.get(k) > ROWS_SHOWN ? sb + ", ..." : sb.toString();
    }

    /** {@return for metrics.jsonl and the report: {kind: {"rows": n, "first_rows": [...], "what": description}}, every kind present} */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Kind k : Kind.values()) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("rows", counts.get(k));
            v.put("first_rows", List.copyOf(firstRows.get(k)));
            v.put("what", k.description());
            m.put(k.key(), v);
        }
        return m;
    }
}
