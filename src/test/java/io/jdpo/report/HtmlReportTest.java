package io.jdpo.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** The report's structure (charts, numbers equal to the metrics) and its rendering in a real headless browser. */
public class HtmlReportTest {
    static List<Map<String, Object>> rows() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int step = 0; step <= 20; step++) {
            if (step % 10 == 0) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("step", step);
                e.put("eval_loss", 0.69 - 0.03 * step);
                e.put("eval_rewards/accuracies", 0.5 + 0.02 * step);
                e.put("eval_rewards/margins", 0.1 * step);
                e.put("eval_rewards/chosen", 0.05 * step);
                e.put("eval_rewards/rejected", -0.05 * step);
                rows.add(e);
            }
            if (step == 0) continue;
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("step", step);
            r.put("loss", 0.69 / step);
            r.put("rewards/chosen", 0.02 * step);
            r.put("rewards/rejected", -0.03 * step);
            r.put("rewards/accuracies", Math.min(1.0, 0.4 + 0.05 * step));
            r.put("rewards/margins", 0.05 * step);
            r.put("tokens_per_second", 1234.5);
            rows.add(r);
        }
        return rows;
    }

    @Test
    void chartsAndNumbersMatchTheMetrics(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("report.html");
        HtmlReport.write(out, "test <run>", rows(), Map.of("beta", "0.1"),
                List.of(new HtmlReport.Sample("Once upon a time", "a cat sat", "a dog ran & played", 0, 1)));
        String html = Files.readString(out);
        assertEquals(4, count(html, "<svg class=\"chart\""), "loss, margins, accuracies, rewards");
        assertTrue(count(html, "<path class=\"series\"") >= 8, "train and eval lines in every chart");
        assertFalse(html.contains("<script") || html.contains("http://") && !html.contains("xmlns=\"http://www.w3.org/2000/svg\""),
                "self-contained: no scripts, nothing fetched");
        assertTrue(html.contains("test &lt;run&gt;") && html.contains("a dog ran &amp; played"), "text is escaped");
        // The summary shows the last training row's values as metrics.jsonl has them.
        assertEquals(HtmlReport.fmt(0.69 / 20), value(html, "loss"));
        assertEquals(HtmlReport.fmt(0.05 * 20), value(html, "rewards/margins"));
        assertEquals("20", value(html, "step"));
        assertEquals(HtmlReport.fmt(0.5) + " → " + HtmlReport.fmt(0.9), value(html, "eval_rewards/accuracies (start → end)"));
        render(out, dir.resolve("shot.png"));
    }

    /** Renders a page (this report, the frontier page) in Debian's chromium (installed by scripts/test.sh) and checks the screenshot shows charts. */
    public static void render(Path html, Path png) throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        assertTrue(Files.isExecutable(chromium), "chromium is needed to render the report: scripts/test.sh installs Debian's chromium");
        Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--window-size=1200,1400", "--screenshot=" + png, html.toUri().toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "no screenshot");
        int nonWhite = 0;
        Set<Integer> colors = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                if (rgb != 0xffffff) nonWhite++;
                colors.add(rgb);
            }
        }
        double share = nonWhite / (img.getWidth() * img.getHeight() / 4.0);
        System.out.printf("report screenshot %dx%d: %.1f%% non-white, %d colours%n", img.getWidth(), img.getHeight(), 100 * share, colors.size());
        assertTrue(share > 0.05, "the screenshot is blank: " + share);
        assertTrue(colors.size() > 20, "charts in colour: " + colors.size());
    }

    private static String value(String html, String key) {
        Matcher m = Pattern.compile("data-key=\"" + Pattern.quote(HtmlReport.esc(key)) + "\">([^<]*)<").matcher(html);
        assertTrue(m.find(), key);
        return m.group(1);
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }
}
