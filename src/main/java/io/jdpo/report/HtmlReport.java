package io.jdpo.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The training report: one self-contained HTML file (inline SVG charts, inline CSS, no
 * scripts, nothing fetched) with the loss, reward margins, accuracies and chosen/rejected
 * rewards over steps, the final numbers, the configuration, and before/after samples.
 */
public final class HtmlReport {
    /**
     * A generation from the same prompt before and after training, with the demo reward of each.
     *
     * @param prompt the prompt, shown as text (HTML-escaped)
     * @param before the base model's completion
     * @param after the trained model's completion
     * @param rewardBefore the reward of {@code before}; NaN shows as "-"
     * @param rewardAfter the reward of {@code after}; NaN shows as "-"
     */
    public record Sample(String prompt, String before, String after, double rewardBefore, double rewardAfter) {
    }

    /** One line of a chart: a name, a colour and its (step, value) points. */
    record Series(String name, String color, List<double[]> points) {
    }

    private HtmlReport() {
    }

    /**
     * Writes the report (atomically) from the metric rows of metrics.jsonl (training rows carry
     * "loss", evaluation rows "eval_loss"), the configuration and samples (may be empty).
     * Every text is HTML-escaped. The file is written as {@code .<name>.<hex>.partial} beside
     * the target and renamed over it (an existing report is replaced); missing folders are created.
     *
     * @param out the HTML file to write
     * @param title the page's title and heading
     * @param rows metric rows under TRL's names (as a trainer's {@code StepMetrics.row()} gives them),
     *        in step order; rows with a numeric "step" are charted; a "data"/"eval_data" entry
     *        (as metrics.jsonl's first record carries) adds a table of what happened to the data's rows
     * @param config settings to list, in order
     * @param samples before/after generations to show (may be empty)
     * @throws IOException if the file cannot be written
     */
    public static void write(Path out, String title, List<Map<String, Object>> rows, Map<String, String> config, List<Sample> samples)
            throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title>\n")
                .append("<style>body{font-family:sans-serif;margin:2em;color:#222;max-width:1100px}h1{font-size:1.5em}")
                .append("svg{background:#fafafa;border:1px solid #ddd;margin:0.5em 1em 0.5em 0}table{border-collapse:collapse;margin:0.5em 0}")
                .append("td,th{border:1px solid #ccc;padding:3px 8px;font-size:0.9em;text-align:left;vertical-align:top}")
                .append(".legend span{margin-right:1em}.charts{display:flex;flex-wrap:wrap}pre{white-space:pre-wrap;margin:0}</style>\n")
                .append("</head><body>\n<h1>").append(esc(title)).append("</h1>\n");
        List<Map<String, Object>> train = new ArrayList<>(), eval = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            if (r.containsKey("loss")) train.add(r);
            if (r.containsKey("eval_loss")) eval.add(r);
        }
        h.append(summary(train, eval));
        h.append(dataSection(rows));
        h.append("<div class=\"charts\">\n");
        // A chart whose metrics the run does not log (rewards in SFT, token accuracy in DPO) is left out.
        List<List<Series>> charts = new ArrayList<>();
        List<String> titles = new ArrayList<>();
        titles.add("Loss");
        charts.add(List.of(series("train", "#1f77b4", train, "loss"), series("eval", "#ff7f0e", eval, "eval_loss")));
        titles.add("Reward margin (chosen − rejected)");
        charts.add(List.of(series("train", "#1f77b4", train, "rewards/margins"), series("eval", "#ff7f0e", eval, "eval_rewards/margins")));
        titles.add("Reward accuracy");
        charts.add(List.of(series("train", "#1f77b4", train, "rewards/accuracies"), series("eval", "#ff7f0e", eval, "eval_rewards/accuracies")));
        titles.add("Rewards");
        charts.add(List.of(series("chosen (train)", "#2ca02c", train, "rewards/chosen"),
                series("rejected (train)", "#d62728", train, "rewards/rejected"),
                series("chosen (eval)", "#98df8a", eval, "eval_rewards/chosen"), series("rejected (eval)", "#ff9896", eval, "eval_rewards/rejected")));
        titles.add("Token accuracy (completion tokens that are the top-1)");
        charts.add(List.of(series("train", "#1f77b4", train, "mean_token_accuracy"), series("eval", "#ff7f0e", eval, "eval_mean_token_accuracy")));
        for (int i = 0; i < charts.size(); i++) {
            if (charts.get(i).stream().anyMatch(c -> !c.points().isEmpty())) h.append(chart(titles.get(i), charts.get(i)));
        }
        h.append("</div>\n");
        if (!samples.isEmpty()) {
            h.append("<h2>Samples before and after training</h2>\n<table><tr><th>prompt</th><th>before</th><th>reward</th><th>after</th><th>reward</th></tr>\n");
            for (Sample s : samples) {
                h.append("<tr><td><pre>").append(esc(s.prompt())).append("</pre></td><td><pre>").append(esc(s.before()))
                        .append("</pre></td><td>").append(fmt(s.rewardBefore())).append("</td><td><pre>").append(esc(s.after()))
                        .append("</pre></td><td>").append(fmt(s.rewardAfter())).append("</td></tr>\n");
            }
            h.append("</table>\n");
        }
        h.append("<h2>Configuration</h2>\n<table>\n");
        config.forEach((k, v) -> h.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>\n"));
        h.append("</table>\n</body></html>\n");
        writeAtomically(out, h);
    }

    /** Writes a page beside {@code out} and renames it into place, so a reader never sees half of it. */
    static void writeAtomically(Path out, CharSequence h) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        // CREATE_NEW follows the umask; Files.createTempFile's 0600 would survive the rename.
        Path tmp = dir.resolve("." + out.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".partial");
        try {
            Files.writeString(tmp, h, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE);
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * What happened to the data's rows (metrics.jsonl's first record carries it under "data" and
     * "eval_data"): how many rows took each path, with the first row numbers of each.
     */
    static String dataSection(List<Map<String, Object>> rows) {
        StringBuilder s = new StringBuilder();
        for (Map<String, Object> r : rows) {
            for (String key : List.of("data", "eval_data")) {
                if (!(r.get(key) instanceof Map<?, ?> d) || !(d.get("paths") instanceof Map<?, ?> paths)) continue;
                s.append("<h2>").append(key.equals("data") ? "Training data" : "Evaluation data").append(": ")
                        .append(esc(String.valueOf(d.get("file")))).append("</h2>\n<p>").append(esc(String.valueOf(d.get("format"))))
                        .append(" format, ").append(esc(String.valueOf(d.get("rows_read")))).append(" rows read, ")
                        .append(d.containsKey("samples") ? esc(d.get("samples") + " samples") : esc(d.get("pairs") + " pairs")).append(" used.</p>\n")
                        .append("<table class=\"rows\"><tr><th>path</th><th>rows</th><th>first rows</th></tr>\n");
                paths.forEach((k, v) -> {
                    if (!(v instanceof Map<?, ?> p)) return;
                    Object first = p.get("first_rows");
                    String list = first instanceof List<?> l ? String.join(", ", l.stream().map(String::valueOf).toList()) : "";
                    s.append("<tr><td title=\"").append(esc(String.valueOf(k))).append("\">").append(esc(String.valueOf(p.get("what"))))
                            .append("</td><td class=\"value\" data-key=\"").append(esc(key + "/" + k)).append("\">")
                            .append(esc(String.valueOf(p.get("rows")))).append("</td><td>").append(esc(list)).append("</td></tr>\n");
                });
                s.append("</table>\n");
            }
            if (!s.isEmpty()) break;
        }
        return s.toString();
    }

    /** The final training and evaluation numbers, as a table (the same values as the last rows of metrics.jsonl). */
    private static String summary(List<Map<String, Object>> train, List<Map<String, Object>> eval) {
        Map<String, Object> cells = new LinkedHashMap<>();
        if (!train.isEmpty()) {
            Map<String, Object> last = train.getLast();
            for (String k : List.of("step", "loss", "rewards/margins", "rewards/accuracies", "rewards/chosen", "rewards/rejected",
                    "mean_token_accuracy", "num_tokens", "tokens_per_second")) {
                if (last.containsKey(k)) cells.put(k, last.get(k));
            }
        }
        if (!eval.isEmpty()) {
            Map<String, Object> first = eval.getFirst(), last = eval.getLast();
            for (String k : List.of("eval_loss", "eval_rewards/accuracies", "eval_rewards/margins", "eval_mean_token_accuracy",
                    "eval_logps/completion")) {
                if (last.containsKey(k)) cells.put(k + " (start → end)", fmt(first.get(k)) + " → " + fmt(last.get(k)));
            }
        }
        StringBuilder s = new StringBuilder("<table class=\"summary\">\n");
        cells.forEach((k, v) -> s.append("<tr><th>").append(esc(k)).append("</th><td class=\"value\" data-key=\"").append(esc(k))
                .append("\">").append(v instanceof Number n ? fmt(n) : esc(String.valueOf(v))).append("</td></tr>\n"));
        return s.append("</table>\n").toString();
    }

    private static Series series(String name, String color, List<Map<String, Object>> rows, String key) {
        List<double[]> pts = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            if (r.get(key) instanceof Number v && r.get("step") instanceof Number st) pts.add(new double[]{st.doubleValue(), v.doubleValue()});
        }
        return new Series(name, color, pts);
    }

    /** A line chart with axes, ticks at the extremes and a legend, as inline SVG. */
    static String chart(String title, List<Series> series) {
        int w = 500, ht = 260, left = 60, right = 15, top = 30, bottom = 35;
        double x0 = Double.MAX_VALUE, x1 = -Double.MAX_VALUE, y0 = Double.MAX_VALUE, y1 = -Double.MAX_VALUE;
        for (Series s : series) {
            for (double[] p : s.points()) {
                x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]);
                y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]);
            }
        }
        StringBuilder svg = new StringBuilder();
        svg.append("<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(w).append("\" height=\"").append(ht)
                .append("\" viewBox=\"0 0 ").append(w).append(' ').append(ht).append("\" role=\"img\" aria-label=\"").append(esc(title)).append("\">\n")
                .append("<text x=\"").append(w / 2).append("\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">").append(esc(title)).append("</text>\n");
        if (x0 > x1) return svg.append("<text x=\"").append(w / 2).append("\" y=\"").append(ht / 2).append("\" text-anchor=\"middle\">no data</text></svg>\n").toString();
        if (x1 == x0) x1 = x0 + 1;
        if (y1 == y0) { y1 += 0.5; y0 -= 0.5; }
        double pad = (y1 - y0) * 0.05;
        y0 -= pad; y1 += pad;
        int pw = w - left - right, ph = ht - top - bottom;
        svg.append("<line x1=\"").append(left).append("\" y1=\"").append(top + ph).append("\" x2=\"").append(left + pw).append("\" y2=\"").append(top + ph).append("\" stroke=\"#333\"/>\n")
                .append("<line x1=\"").append(left).append("\" y1=\"").append(top).append("\" x2=\"").append(left).append("\" y2=\"").append(top + ph).append("\" stroke=\"#333\"/>\n");
        svg.append(label(left - 5, top + 4, fmt(y1), "end")).append(label(left - 5, top + ph, fmt(y0), "end"))
                .append(label(left, top + ph + 15, Long.toString(Math.round(x0)), "middle"))
                .append(label(left + pw, top + ph + 15, Long.toString(Math.round(x1)), "end"))
                .append(label(left + pw / 2, ht - 5, "step", "middle"));
        int lx = left + 10;
        for (Series s : series) {
            if (s.points().isEmpty()) continue;
            StringBuilder path = new StringBuilder();
            for (double[] p : s.points()) {
                double x = left + (p[0] - x0) / (x1 - x0) * pw, y = top + ph - (p[1] - y0) / (y1 - y0) * ph;
                path.append(path.isEmpty() ? "M" : " L").append(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
            }
            svg.append("<path class=\"series\" data-name=\"").append(esc(s.name())).append("\" d=\"").append(path)
                    .append("\" fill=\"none\" stroke=\"").append(s.color()).append("\" stroke-width=\"2\"/>\n");
            if (s.points().size() == 1) {
                double[] p = s.points().getFirst();
                svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
                        left + (p[0] - x0) / (x1 - x0) * pw, top + ph - (p[1] - y0) / (y1 - y0) * ph, s.color()));
            }
            svg.append("<rect x=\"").append(lx).append("\" y=\"").append(top + 2).append("\" width=\"10\" height=\"3\" fill=\"").append(s.color()).append("\"/>")
                    .append(label(lx + 14, top + 7, s.name(), "start")).append('\n');
            lx += 14 + 7 * s.name().length() + 10;
        }
        return svg.append("</svg>\n").toString();
    }

    static String label(int x, int y, String text, String anchor) {
        return "<text x=\"" + x + "\" y=\"" + y + "\" font-size=\"11\" text-anchor=\"" + anchor + "\">" + esc(text) + "</text>";
    }

    static String fmt(Object v) {
        if (v instanceof Double d && d.isNaN()) return "-";
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (n instanceof Integer || n instanceof Long) return Long.toString(n.longValue());
            return String.format(Locale.ROOT, Math.abs(d) >= 1e4 || (Math.abs(d) < 1e-3 && d != 0) ? "%.3e" : "%.4f", d);
        }
        return String.valueOf(v);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
