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
 * naming the row.
 */
public final class RowFindings {
    /** The paths a row can take besides "used as written". */
    public enum Kind {
        BOUNDARY_RETOKENIZED(false, "completion tokenized on its own after the prompt's tokens (the prompt/completion boundary moves under tokenization)"),
        DOUBLED_BOS_REPAIRED(false, "doubled BOS removed (the rendered text carries a BOS and the tokenizer adds another)"),
        SKIPPED_EMPTY(true, "skipped: empty chosen or rejected reply"),
        SKIPPED_IDENTICAL(true, "skipped: chosen and rejected replies are identical"),
        SKIPPED_EMPTY_PROMPT(true, "skipped: the prompt has no tokens (the tokenizer adds no BOS)"),
        SKIPPED_TEMPLATE_REFUSED(true, "skipped: the chat template refuses the conversation"),
        SKIPPED_PROMPT_NOT_PREFIX(true, "skipped: the template renders the prompt differently once the reply follows"),
        SKIPPED_NO_END_OF_TURN(true, "skipped: a reply renders without an end-of-turn token");

        private final boolean skips;
        private final String description;

        Kind(boolean skips, String description) {
            this.skips = skips;
            this.description = description;
        }

        public boolean skips() {
            return skips;
        }

        public String description() {
            return description;
        }

        /** "boundary_retokenized": the key in metrics.jsonl. */
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

    /** strict: the first finding throws a {@link DataException} naming the row. */
    public RowFindings(boolean strict) {
        this.strict = strict;
        for (Kind k : Kind.values()) {
            counts.put(k, 0);
            firstRows.put(k, new ArrayList<>());
            seen.put(k, new HashSet<>());
        }
    }

    public boolean strict() {
        return strict;
    }

    /** Records that the example took path {@code kind}; {@code detail} (may be null) says what was seen. */
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

    public int count(Kind kind) {
        return counts.get(kind);
    }

    public List<Integer> firstRows(Kind kind) {
        return List.copyOf(firstRows.get(kind));
    }

    /** Rows (of a file) that took at least one path. */
    public int rowsTouched() {
        return touched.size();
    }

    /** Rows skipped for any reason. */
    public int skipped() {
        int n = 0;
        for (Kind k : Kind.values()) if (k.skips()) n += counts.get(k);
        return n;
    }

    /** One line: every path with its count, and the first rows of each path some row took. */
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

    /** For metrics.jsonl and the report: {kind: {"rows": n, "first_rows": [...], "what": description}}. */
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
