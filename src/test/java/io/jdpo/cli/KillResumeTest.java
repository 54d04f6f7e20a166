package io.jdpo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jdpo.gguf.GgufFile;
import io.jdpo.testing.ForkedJvm;
import io.jdpo.testing.TestData;
import io.jdpo.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * `jdpo train` killed with SIGKILL at random moments, several times, and resumed each time
 * with a bare {@code --resume}, ends with the same adapter, checkpoint and metrics, bit for
 * bit, as a run never interrupted; after every kill, each file at its final name in the
 * output folder is whole (temporary files alone may be cut short).
 */
class KillResumeTest {
    private static final int KILLS = 3;

    @Test
    void killedAndResumedRunEqualsAnUninterruptedOne(@TempDir Path dir) throws Exception {
        Path data = CliTest.storyPreferences(dir);
        Path straight = dir.resolve("straight"), killed = dir.resolve("killed");
        assertEquals(0, train(dir, data, straight, false).waitFor(), log(dir, straight));

        SplittableRandom rnd = new SplittableRandom(2026);
        int kills = 0;
        boolean resume = false;
        while (true) {
            Process p = train(dir, data, killed, resume);
            Optional<Path> before = Checkpoint.latest(killed);
            // Wait for a new checkpoint, so each attempt makes progress, then kill at a random moment
            // soon after: a step of this model takes tens of milliseconds on an idle machine, so a
            // longer wait would let the run finish before the third kill.
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (p.isAlive() && Checkpoint.latest(killed).equals(before) && System.nanoTime() < deadline) Thread.sleep(20);
            if (kills < KILLS && p.isAlive()) {
                Thread.sleep(rnd.nextInt(150));
                p.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs
                p.waitFor();
                kills++;
                assertOutputsWhole(killed, straight);
                resume = true;
                continue;
            }
            assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the resumed run did not finish");
            assertEquals(0, p.exitValue(), log(dir, killed));
            break;
        }
        assertEquals(KILLS, kills, "the run ended before it could be killed " + KILLS + " times");

        assertArrayEquals(Files.readAllBytes(straight.resolve("adapter.gguf")), Files.readAllBytes(killed.resolve("adapter.gguf")),
                "the adapter of the killed and resumed run");
        Path last = Checkpoint.latest(straight).orElseThrow();
        assertEquals(last.getFileName(), Checkpoint.latest(killed).orElseThrow().getFileName());
        assertArrayEquals(Files.readAllBytes(last.resolve("state.bin")),
                Files.readAllBytes(killed.resolve("checkpoints").resolve(last.getFileName()).resolve("state.bin")),
                "adapter and optimizer state of the last checkpoint");
        assertEquals(metricsWithoutTimings(straight), metricsWithoutTimings(killed), "metrics.jsonl, timings aside");
    }

    private static Process train(Path dir, Path data, Path out, boolean resume) throws IOException {
        List<String> args = new ArrayList<>(List.of("train", TestData.stories260K().toAbsolutePath().toString(),
                "--data", data.toString(), "-o", out.toString(), "--max-steps", "30", "--rank", "4", "--lr", "2e-3",
                "--batch-size", "2", "--eval-fraction", "0", "--checkpoint-every", "1", "--samples", "0",
                "--cache-dir", dir.resolve("cache").toString(), "--quiet", "-t", "1"));
        if (resume) args.add("--resume");
        Files.createDirectories(dir.resolve("logs"));
        Path log = dir.resolve("logs").resolve(out.getFileName() + ".log");
        return new ProcessBuilder(ForkedJvm.command(List.of("-Xmx512m"), Jdpo.class, args.toArray(String[]::new)))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    private static String log(Path dir, Path out) throws IOException {
        return Files.readString(dir.resolve("logs").resolve(out.getFileName() + ".log"));
    }

    /** Every file at a final name is complete: GGUFs parse, JSON lines end, state files have their size. */
    private static void assertOutputsWhole(Path out, Path reference) throws IOException {
        long stateSize = Files.size(Checkpoint.latest(reference).orElseThrow().resolve("state.bin"));
        ObjectMapper json = new ObjectMapper();
        List<Path> files;
        try (Stream<Path> s = Files.walk(out)) {
            files = s.filter(Files::isRegularFile).filter(f -> !out.relativize(f).toString().contains("/.")
                    && !f.getFileName().toString().startsWith(".")).toList();
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            switch (name) {
                case "adapter.gguf" -> {
                    try (GgufFile g = GgufFile.open(f)) {
                        assertFalse(g.tensors().isEmpty(), f.toString());
                    }
                }
                case "state.bin" -> assertEquals(stateSize, Files.size(f), "a whole state file: " + f);
                case "trainer.json" -> json.readTree(f.toFile());
                case "metrics.jsonl", "config.txt" -> {
                    String text = Files.readString(f, StandardCharsets.UTF_8);
                    assertTrue(text.isEmpty() || text.endsWith("\n"), "a line cut short in " + f);
                    if (name.equals("metrics.jsonl")) for (String line : text.lines().toList()) json.readTree(line);
                }
                case "report.html" -> assertTrue(Files.readString(f).strip().endsWith("</html>"), f.toString());
                default -> fail("unexpected output file " + f);
            }
        }
    }

    private static List<String> metricsWithoutTimings(Path out) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> rows = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            ObjectNode row = (ObjectNode) json.readTree(line);
            row.remove("tokens_per_second");
            rows.add(row.toString());
        }
        return rows;
    }
}
