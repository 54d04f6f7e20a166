package io.jdpo.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The reward–KL frontier page (the DPO paper's Figure 2 for the user's model, prompts and
 * reward): one self-contained HTML file with an inline SVG scatter plot of mean reward
 * against sequence-level KL(π‖π_ref), one series per method with its evaluations joined in
 * step order, Best-of-N drawn dashed at its KL bound, and every point in a table.
 */
public final class FrontierPage {
    /**
     * One evaluated point.
     *
     * @param method the series it belongs to ("DPO β=0.1", "Preferred-FT", "Best-of-N", ...)
     * @param step optimizer steps behind it (N for Best-of-N)
     * @param kl KL(π‖π_ref) in nats: measured from samples, or Best-of-N's bound
     * @param reward mean reward of the samples
     */
    public record Point(String method, int step, double kl, double reward) {
    }

    private static final String[] COLORS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

    private FrontierPage() {
    }

    /**
     * Writes the page (atomically).
     *
     * @param out the HTML file
     * @param title the page's heading
     * @param points every point, series in order of first appearance
     * @param notes lines shown under the plot (how the points were measured)
     * @param config settings shown in a table at the end
     * @throws IOException when the file cannot be written
     */
    public static void write(Path out, String title, List<Point> points, List<String> notes, Map<String, String> config) throws IOException {
        Map<String, List<Point>> series = new LinkedHashMap<>();
        for (Point p : points) series.computeIfAbsent(p.method(), k -> new ArrayList<>()).add(p);
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(HtmlReport.esc(title)).append("</title>\n")
                .append("<style>body{font-family:sans-serif;margin:2em;color:#222;max-width:1100px}h1{font-size:1.5em}")
                .append("svg{background:#fafafa;border:1px solid #ddd;margin:0.5em 0}table{border-collapse:collapse;margin:0.5em 0}")
                .append("td,th{border:1px solid #ccc;padding:3px 8px;font-size:0.9em;text-align:left}</style>\n")
                .append("</head><body>\n<h1>").append(HtmlReport.esc(title)).append("</h1>\n");
        h.append(plot(series, Double.POSITIVE_INFINITY));
        double zoom = zoomLimit(points);
        long beyond = points.stream().filter(p -> p.kl() > zoom).count();
        if (beyond > 0) {
            // A method that runs far from the reference squeezes the rest into the axis: the same plot again without it.
            h.append("<p class=\"note\">Zoomed to KL ≤ ").append(HtmlReport.fmt(zoom)).append(" nats (").append(beyond)
                    .append(" points beyond it left out):</p>\n").append(plot(series, zoom));
        }
        for (String n : notes) h.append("<p class=\"note\">").append(HtmlReport.esc(n)).append("</p>\n");
        h.append("<h2>Points</h2>\n<table class=\"points\"><tr><th>method</th><th>step / N</th><th>KL(π‖π_ref) nats</th><th>mean reward</th></tr>\n");
        for (Point p : points) {
            h.append("<tr class=\"point\" data-method=\"").append(HtmlReport.esc(p.method())).append("\"><td>").append(HtmlReport.esc(p.method()))
                    .append("</td><td>").append(p.step()).append("</td><td>").append(HtmlReport.fmt(p.kl())).append("</td><td>")
                    .append(HtmlReport.fmt(p.reward())).append("</td></tr>\n");
        }
        h.append("</table>\n<h2>Configuration</h2>\n<table>\n");
        config.forEach((k, v) -> h.append("<tr><th>").append(HtmlReport.esc(k)).append("</th><td>").append(HtmlReport.esc(v)).append("</td></tr>\n"));
        h.append("</table>\n</body></html>\n");
        HtmlReport.writeAtomically(out, h);
    }

    /** 1.25 times the 80th percentile of the points' KL: the zoomed plot's right edge. */
    static double zoomLimit(List<Point> points) {
        double[] kl = points.stream().mapToDouble(Point::kl).sorted().toArray();
        return kl.length == 0 ? 0 : 1.25 * kl[(int) Math.floor(0.8 * (kl.length - 1))];
    }

    /**
     * Reward against KL: a polyline with a marker per point for each series, axes with five
     * ticks each, a legend on the right; points with KL above {@code maxKl} are left out.
     */
    static String plot(Map<String, List<Point>> all, double maxKl) {
        Map<String, List<Point>> series = new LinkedHashMap<>();
        all.forEach((k, v) -> series.put(k, v.stream().filter(p -> p.kl() <= maxKl).toList()));
        int w = 900, ht = 520, left = 70, right = 220, top = 40, bottom = 55;
        double x0 = 0, x1 = -Double.MAX_VALUE, y0 = Double.MAX_VALUE, y1 = -Double.MAX_VALUE;
        for (List<Point> s : series.values()) {
            for (Point p : s) {
                x0 = Math.min(x0, p.kl()); x1 = Math.max(x1, p.kl());
                y0 = Math.min(y0, p.reward()); y1 = Math.max(y1, p.reward());
            }
        }
        StringBuilder svg = new StringBuilder();
        svg.append("<svg class=\"frontier\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(w).append("\" height=\"").append(ht)
                .append("\" viewBox=\"0 0 ").append(w).append(' ').append(ht).append("\" role=\"img\" aria-label=\"reward against KL\">\n")
                .append("<text x=\"").append((left + w - right) / 2).append("\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">")
                .append("Mean reward against KL(π‖π_ref)").append(Double.isInfinite(maxKl) ? "" : " (zoomed)").append("</text>\n");
        if (y0 > y1) return svg.append("<text x=\"").append(w / 2).append("\" y=\"").append(ht / 2).append("\" text-anchor=\"middle\">no data</text></svg>\n").toString();
        if (x1 <= x0) x1 = x0 + 1;
        if (y1 == y0) { y1 += 0.5; y0 -= 0.5; }
        double pad = (y1 - y0) * 0.05;
        y0 -= pad; y1 += pad;
        x1 += (x1 - x0) * 0.03;
        int pw = w - left - right, ph = ht - top - bottom;
        svg.append(line(left, top + ph, left + pw, top + ph)).append(line(left, top, left, top + ph));
        for (int i = 0; i <= 4; i++) {
            double xv = x0 + (x1 - x0) * i / 4, yv = y0 + (y1 - y0) * i / 4;
            int xp = left + pw * i / 4, yp = top + ph - ph * i / 4;
            svg.append(HtmlReport.label(xp, top + ph + 16, tick(xv), "middle")).append(HtmlReport.label(left - 6, yp + 4, tick(yv), "end"))
                    .append("<line x1=\"").append(xp).append("\" y1=\"").append(top + ph).append("\" x2=\"").append(xp).append("\" y2=\"")
                    .append(top + ph + 4).append("\" stroke=\"#333\"/>\n");
        }
        svg.append(HtmlReport.label(left + pw / 2, ht - 12, "KL(π‖π_ref) per sequence (nats)", "middle"))
                .append("<text x=\"16\" y=\"").append(top + ph / 2).append("\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 16 ")
                .append(top + ph / 2).append(")\">mean reward</text>\n");
        int c = 0, ly = top + 10;
        for (Map.Entry<String, List<Point>> e : series.entrySet()) {
            String color = COLORS[c % COLORS.length];
            boolean dashed = e.getKey().startsWith("Best-of-N");
            StringBuilder path = new StringBuilder(), marks = new StringBuilder();
            for (Point p : e.getValue()) {
                double x = left + (p.kl() - x0) / (x1 - x0) * pw, y = top + ph - (p.reward() - y0) / (y1 - y0) * ph;
                path.append(path.isEmpty() ? "M" : " L").append(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
                marks.append(String.format(Locale.ROOT, "<circle class=\"mark\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>%s step %d: KL %s, reward %s</title></circle>%n",
                        x, y, color, HtmlReport.esc(e.getKey()), p.step(), HtmlReport.fmt(p.kl()), HtmlReport.fmt(p.reward())));
            }
            if (e.getValue().isEmpty()) {
                c++;
                continue;
            }
            svg.append("<path class=\"series\" data-name=\"").append(HtmlReport.esc(e.getKey())).append("\" d=\"").append(path)
                    .append("\" fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"2\"")
                    .append(dashed ? " stroke-dasharray=\"6 4\"" : "").append("/>\n").append(marks);
            svg.append("<rect x=\"").append(left + pw + 15).append("\" y=\"").append(ly - 5).append("\" width=\"14\" height=\"4\" fill=\"")
                    .append(color).append("\"/>").append(HtmlReport.label(left + pw + 34, ly, e.getKey(), "start")).append('\n');
            ly += 18;
            c++;
        }
        return svg.append("</svg>\n").toString();
    }

    private static String line(int x1, int y1, int x2, int y2) {
        return "<line x1=\"" + x1 + "\" y1=\"" + y1 + "\" x2=\"" + x2 + "\" y2=\"" + y2 + "\" stroke=\"#333\"/>\n";
    }

    private static String tick(double v) {
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : Math.abs(v) >= 10 ? "%.1f" : "%.2f", v);
    }
}
