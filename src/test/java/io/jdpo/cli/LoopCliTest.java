package io.jdpo.cli;

import io.jdpo.demo.DemoPreferences;
import io.jdpo.train.MetricsLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** `jdpo online` and `jdpo frontier` from the command line: prompts from files, usage errors, errors naming the line. */
class LoopCliTest {
    private static final String DEMO = "models/demo.gguf";

    @Test
    void onlineReadsPromptFilesAndWritesTheRun(@TempDir Path dir) throws Exception {
        List<String> prompts = DemoPreferences.prompts(DemoPreferences.PAIRS, DemoPreferences.SEED);
        Path train = dir.resolve("prompts.txt"), held = dir.resolve("held.jsonl");
        Files.write(train, prompts.subList(0, 6));
        Files.writeString(held, "{\"prompt\": \"" + prompts.get(10) + "\"}\n\n{\"prompt\": \"" + prompts.get(11) + "\"}\n");
        CliTest.Run r = CliTest.run("online", DEMO, "--prompts", train.toString(), "--eval-prompts", held.toString(),
                "--reward-regex", DemoPreferences.REWARD, "--rounds", "2", "-k", "2", "--steps-per-round", "1", "--eval-samples", "2",
                "-n", "8", "--stop", "The end", "-t", "2", "--quiet", "-o", dir.resolve("run").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("over 2 rounds (2 prompts x 2 samples)"), r.out());
        assertTrue(Files.isRegularFile(dir.resolve("run/adapter.gguf")));
        List<Map<String, Object>> rows = MetricsLog.read(dir.resolve("run/metrics.jsonl"));
        assertEquals(2, rows.stream().filter(m -> m.containsKey("objective/scores")).count(), "a row per round");
        assertEquals(0, ((Number) rows.getFirst().get("eval_objective/kl")).doubleValue(), 1e-6, "the base against itself");

        CliTest.Run again = CliTest.run("online", DEMO, "--demo-task", "-o", dir.resolve("run").toString(), "--quiet");
        assertEquals(1, again.code(), "an earlier run is not replaced without --overwrite");
        assertTrue(again.err().contains("--overwrite"), again.err());
    }

    @Test
    void onlineStartsFromAnSftAdapterWithItAsTheReference(@TempDir Path dir) throws Exception {
        CliTest.Run sft = CliTest.run("sft", DEMO, "--data", "models/demo-prefs.jsonl", "-o", dir.resolve("sft").toString(), "--lr", "1e-3",
                "--rank", "8", "--alpha", "16", "--batch-size", "4", "--max-steps", "6", "--samples", "0", "--quiet", "-t", "2");
        assertEquals(0, sft.code(), sft.err() + sft.out());
        CliTest.Run r = CliTest.run("online", DEMO, "--demo-task", "--init-adapter", dir.resolve("sft/adapter.gguf").toString(),
                "--rounds", "2", "-k", "2", "--steps-per-round", "2", "--eval-samples", "2", "-n", "8", "-t", "2", "--quiet",
                "-o", dir.resolve("run").toString());
        assertEquals(0, r.code(), r.err());
        List<Map<String, Object>> rows = MetricsLog.read(dir.resolve("run/metrics.jsonl"));
        // Before the first round the policy is base + the SFT adapter, which is the reference.
        assertEquals(0, ((Number) rows.getFirst().get("eval_objective/kl")).doubleValue(), 1e-6);
        for (Map<String, Object> round : rows.stream().filter(m -> m.containsKey("objective/scores")).toList()) {
            // llama.cpp's policy (the exported adapter, started from the SFT one) is the Java policy.
            assertTrue(((Number) round.get("policy_gap/max")).doubleValue() < 1e-3, round.toString());
            // Samples of the round's policy against base + SFT: the first round samples from the reference itself.
            if (((Number) round.get("round")).intValue() == 1) assertEquals(0, ((Number) round.get("objective/kl")).doubleValue(), 1e-6);
        }
    }

    @Test
    void usageAndDataErrors(@TempDir Path dir) throws Exception {
        CliTest.Run none = CliTest.run("frontier", DEMO, "-o", dir.toString());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("--prompts FILE or --demo-task"), none.err());
        Path prompts = Files.writeString(dir.resolve("p.txt"), "Once upon a time\n");
        CliTest.Run noReward = CliTest.run("online", DEMO, "--prompts", prompts.toString(), "-o", dir.toString());
        assertEquals(2, noReward.code());
        assertTrue(noReward.err().contains("give a reward"), noReward.err());
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\": \"a\"}\n{\"text\": \"b\"}\n");
        CliTest.Run badRow = CliTest.run("online", DEMO, "--prompts", bad.toString(), "--reward-regex", "dog", "-o", dir.resolve("x").toString());
        assertEquals(1, badRow.code());
        assertTrue(badRow.err().contains("bad.jsonl:2") && badRow.err().contains("\"prompt\""), badRow.err());
        CliTest.Run k1 = CliTest.run("online", DEMO, "--demo-task", "-k", "1", "-o", dir.resolve("y").toString());
        assertNotEquals(0, k1.code());
        assertTrue(k1.err().contains("K >= 2"), k1.err());
        CliTest.Run help = CliTest.run("frontier", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--quick") && help.out().contains("Best-of-N"), help.out());
    }
}
