package io.jdpo.loop;

import io.jdpo.demo.DemoPreferences;
import io.jdpo.progress.TrainListener;
import io.jdpo.report.FrontierPage;
import io.jdpo.report.HtmlReportTest;
import io.jdpo.train.LrSchedule;
import io.jdpo.train.TrainConfig;
import io.jdpo.verify.RegexReward;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The frontier in its quick setting on the bundled demo model (the `jdpo frontier --quick`
 * sizes): every method's points, Best-of-N at its bound with a reward that cannot fall as N
 * grows, the three output files agreeing, and the page rendered in headless chromium.
 */
class FrontierTest {
    @Test
    void quickFrontierOnTheDemoModel(@TempDir Path dir) throws Exception {
        List<String> prompts = DemoPreferences.prompts(DemoPreferences.PAIRS, DemoPreferences.SEED);
        TrainConfig base = TrainConfig.defaults().toBuilder().rank(8).alpha(16).learningRate(1e-3).batchSize(4)
                .schedule(LrSchedule.Kind.CONSTANT).warmupRatio(0).threads(2).seed(7).build();
        List<Frontier.Method> methods = Frontier.paperMethods(base);
        // The CLI's --quick on its defaults (K 8, 24 tokens, seed 7, one sampling thread).
        Frontier.Config cfg = Frontier.quick(new Frontier.Config(8, 60, 10, 8, List.of(1, 2, 4, 8, 16, 32, 64), new Sampling(1f, 1f, 24, List.of(), 7, 1)));
        Frontier.Result r = Frontier.run(OnlineDpoTest.DEMO, prompts.subList(0, Frontier.QUICK_TRAIN_PROMPTS),
                prompts.subList(prompts.size() - Frontier.QUICK_EVAL_PROMPTS, prompts.size()),
                RegexReward.of(DemoPreferences.REWARD, null), methods, cfg, dir, null, TrainListener.SILENT);
        System.out.printf("quick frontier: %d pairs, %d ties, %.1f s%n", r.pairs(), r.ties(), r.seconds());
        r.points().forEach(p -> System.out.printf("  %-14s %3d  KL %.4f  reward %.4f%n", p.method(), p.step(), p.kl(), p.reward()));

        assertEquals(6, methods.size(), "DPO at four betas, Preferred-FT, Unlikelihood");
        FrontierPage.Point ref = r.points().getFirst();
        assertEquals(Frontier.REFERENCE, ref.method());
        assertEquals(0, ref.kl(), 1e-6, "the reference against itself");
        for (Frontier.Method m : methods) {
            List<FrontierPage.Point> pts = r.points().stream().filter(p -> p.method().equals(m.name())).toList();
            assertEquals(List.of(6, 12), pts.stream().map(FrontierPage.Point::step).toList(), m.name());
            assertTrue(pts.stream().allMatch(p -> Double.isFinite(p.kl()) && Double.isFinite(p.reward())), m.name());
        }
        // A trained policy moved away from the reference: its samples are likelier under it than under the reference.
        assertTrue(r.points().stream().filter(p -> p.method().equals("DPO β=0.1") && p.step() == 12).findFirst().orElseThrow().kl() > 0);
        List<FrontierPage.Point> bon = r.points().stream().filter(p -> p.method().equals(Frontier.BEST_OF_N)).toList();
        assertEquals(5, bon.size());
        for (int i = 0; i < bon.size(); i++) {
            int n = bon.get(i).step();
            assertEquals(Math.log(n) - (n - 1.0) / n, bon.get(i).kl(), 1e-12, "the bound log N - (N-1)/N");
            // Groups of 2N are unions of two groups of N: the mean of the group maxima cannot fall.
            if (i > 0) assertTrue(bon.get(i).reward() >= bon.get(i - 1).reward(), "Best-of-" + n);
        }
        assertEquals(0, Frontier.klBound(1));
        assertEquals(Math.log(64) - 63.0 / 64, Frontier.klBound(64), 1e-12);

        assertEquals(r.points().size(), Files.readAllLines(r.jsonl()).size());
        assertEquals(r.points().size() + 1, Files.readAllLines(r.csv()).size(), "a header and a line per point");
        String html = Files.readString(r.html());
        assertEquals(r.points().size(), html.split("class=\"point\"", -1).length - 1, "a table row per point");
        String full = html.substring(0, html.indexOf("</svg>"));
        assertEquals(1 + methods.size() + 1, full.split("class=\"series\"", -1).length - 1, "a line per series in the full plot");
        assertFalse(html.contains("<script") || html.contains("http://") && !html.contains("http://www.w3.org/2000/svg"), "self-contained");
        HtmlReportTest.render(r.html(), dir.resolve("frontier.png"));
    }
}
