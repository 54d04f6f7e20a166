package io.jdpo.train;

import io.jdpo.JdpoException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** What resuming a run needs without llama.cpp: the fingerprint, the latest checkpoint, the folder policy, the log. */
class ResumeTest {

    @Test
    void settingsThatChangeNothingTrainedDoNotChangeTheResumeFingerprint() {
        TrainConfig base = TrainConfig.defaults().toBuilder().threads(2).build();
        String fp = base.resumeFingerprint();
        assertEquals(fp, base.toBuilder().checkpointEvery(5).build().resumeFingerprint(), "--checkpoint-every");
        assertEquals(fp, base.toBuilder().force(true).build().resumeFingerprint(), "--force");
        assertEquals(fp, base.toBuilder().evalEvery(7).build().resumeFingerprint(), "--eval-every");
        assertNotEquals(fp, base.toBuilder().beta(0.2).build().resumeFingerprint(), "beta changes the result");
        assertNotEquals(fp, base.toBuilder().seed(1).build().resumeFingerprint(), "the seed changes the result");
        assertNotEquals(fp, base.toBuilder().maxSteps(9).build().resumeFingerprint(), "the schedule's length changes the result");
    }

    private static void checkpoint(Path out, int step, boolean complete) throws Exception {
        Path d = Files.createDirectories(Checkpoint.folder(out, step));
        Files.writeString(d.resolve("trainer.json"), "{}");
        Files.writeString(d.resolve("adapter.gguf"), "x");
        if (complete) Files.writeString(d.resolve("state.bin"), "x");
    }

    @Test
    void latestIsTheNewestCompleteCheckpoint(@TempDir Path out) throws Exception {
        assertTrue(Checkpoint.latest(out).isEmpty());
        checkpoint(out, 2, true);
        checkpoint(out, 10, true);
        checkpoint(out, 12, false);
        Files.createDirectories(out.resolve("checkpoints").resolve(".step-000014.partial"));
        Files.createDirectories(out.resolve("checkpoints").resolve("notes"));
        assertEquals(Checkpoint.folder(out, 10), Checkpoint.latest(out).orElseThrow());
    }

    @Test
    void anEarlierRunIsRefusedUnlessResumedOrOverwritten(@TempDir Path out) throws Exception {
        RunFolder.checkFree(out, false, false);
        Files.writeString(out.resolve("metrics.jsonl"), "{}\n");
        JdpoException e = assertThrows(JdpoException.class, () -> RunFolder.checkFree(out, false, false));
        assertTrue(e.getMessage().contains("holds an earlier run (metrics.jsonl)"), e.getMessage());
        RunFolder.checkFree(out, true, false);
        RunFolder.checkFree(out, false, true);
    }

    @Test
    void leftoversOfAKilledRunAreCleared(@TempDir Path out) throws Exception {
        Files.writeString(out.resolve(".adapter.gguf.1a2b.partial"), "half");
        Files.createDirectories(out.resolve("checkpoints").resolve(".step-000004.partial"));
        Files.createDirectories(out.resolve("checkpoints").resolve(".step-000002.old"));
        checkpoint(out, 2, true);
        RunFolder.clearLeftovers(out);
        try (var s = Files.walk(out)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith(".")).toList());
        }
        assertTrue(Files.exists(Checkpoint.folder(out, 2).resolve("state.bin")));
    }

    @Test
    void aResumedLogDropsLaterRowsAndALineAKillCutShort(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("metrics.jsonl");
        Files.writeString(f, "{\"step\":0,\"a\":1}\n{\"step\":1,\"loss\":0.5}\n{\"step\":2,\"loss\":0.4}\n{\"step\":3,\"lo");
        try (MetricsLog log = new MetricsLog(f, 1)) {
            log.write(Map.of("step", 2));
        }
        assertEquals(List.of("{\"step\":0,\"a\":1}", "{\"step\":1,\"loss\":0.5}", "{\"step\":2}"), Files.readAllLines(f));
        Files.writeString(f, "{\"step\":1}\n{\"step\":2,\"lo");
        try (MetricsLog log = new MetricsLog(f, 2)) {
            assertEquals(List.of("{\"step\":1}"), Files.readAllLines(f));
        }
    }
}
