package io.jdpo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jdpo.adapter.AdapterFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The SFT → DPO chain from the command line on the bundled demo model: {@code jdpo sft} on the
 * chosen completions, then {@code jdpo train --init-adapter} from its adapter. At DPO's step 0
 * the Java policy (base + the SFT adapter) meets a reference that llama.cpp scored as base + the
 * same adapter: had the reference been the base alone, the gap would be the whole SFT update.
 * The SFT run, resumed from a checkpoint, ends on the same adapter and metrics.
 */
class SftChainCliTest {
    static final String MODEL = "models/demo.gguf", DATA = "models/demo-prefs.jsonl";

    private static List<String> withoutSpeed(List<String> rows) {
        return rows.stream().map(r -> r.replaceAll("\"tokens_per_second\":[-0-9.Ee]+", "")).toList();
    }

    @Test
    void sftThenDpoFromItsAdapter(@TempDir Path dir) throws Exception {
        Path sft = dir.resolve("sft"), dpo = dir.resolve("dpo");
        CliTest.Run s = CliTest.run("sft", MODEL, "--data", DATA, "-o", sft.toString(), "--lr", "1e-3", "--rank", "8", "--alpha", "16",
                "--batch-size", "4", "--max-steps", "12", "--checkpoint-every", "6", "--samples", "0", "--quiet", "-t", "2");
        assertEquals(0, s.code(), s.err() + s.out());
        System.out.print(s.out());
        Matcher m = Pattern.compile("held-out loss ([0-9.]+) -> ([0-9.]+), token accuracy ([0-9.]+) -> ([0-9.]+), completion log-prob (-?[0-9.]+) -> (-?[0-9.]+)")
                .matcher(s.out());
        assertTrue(m.find(), s.out());
        assertTrue(Double.parseDouble(m.group(2)) < Double.parseDouble(m.group(1)), "held-out loss falls: " + m.group());
        assertTrue(Double.parseDouble(m.group(6)) > Double.parseDouble(m.group(5)), "held-out log-prob rises: " + m.group());
        String metrics = Files.readString(sft.resolve("metrics.jsonl"));
        assertTrue(metrics.contains("\"mean_token_accuracy\"") && metrics.contains("\"num_tokens\""), metrics);
        String report = Files.readString(sft.resolve("report.html"));
        assertTrue(report.contains("Token accuracy") && !report.contains("Reward margin"), "the SFT report charts what SFT logs");

        Path sftAdapter = sft.resolve("adapter.gguf");
        // Resumed from its step-6 checkpoint, the SFT run ends on the same adapter and the same metrics (speeds aside).
        byte[] adapter = Files.readAllBytes(sftAdapter);
        List<String> before = withoutSpeed(Files.readAllLines(sft.resolve("metrics.jsonl")));
        CliTest.Run again = CliTest.run("sft", MODEL, "--data", DATA, "-o", sft.toString(), "--lr", "1e-3", "--rank", "8", "--alpha", "16",
                "--batch-size", "4", "--max-steps", "12", "--checkpoint-every", "6", "--samples", "0", "--quiet", "-t", "2",
                "--resume", sft.resolve("checkpoints/step-000006").toString());
        assertEquals(0, again.code(), again.err() + again.out());
        assertArrayEquals(adapter, Files.readAllBytes(sftAdapter), "adapter after resume");
        assertEquals(before, withoutSpeed(Files.readAllLines(sft.resolve("metrics.jsonl"))), "metrics after resume");
        CliTest.Run d = CliTest.run("train", MODEL, "--data", DATA, "-o", dpo.toString(), "--init-adapter", sftAdapter.toString(),
                "--lr", "1e-3", "--batch-size", "4", "--max-steps", "8", "--samples", "0", "--quiet", "-t", "2",
                "--cache-dir", dir.resolve("cache").toString());
        assertEquals(0, d.code(), d.err() + d.out());
        System.out.print(d.out());
        List<String> rows = Files.readAllLines(dpo.resolve("metrics.jsonl"));
        JsonNode first = new ObjectMapper().readTree(rows.getFirst());
        double gap = first.get("policy_ref_gap/mean").asDouble();
        System.out.printf("DPO from the SFT adapter, step 0: Java policy vs llama.cpp reference (base + SFT adapter): mean |Δ log-prob| %.2e%n", gap);
        assertTrue(gap < 1e-4, "the reference is base + the SFT adapter: " + first);
        m = Pattern.compile("held-out reward accuracy ([0-9.]+) -> ([0-9.]+), margin (-?[0-9.e-]+) -> (-?[0-9.]+)").matcher(d.out());
        assertTrue(m.find(), d.out());
        assertTrue(Math.abs(Double.parseDouble(m.group(3))) < 1e-3, "at step 0 the policy is the reference: " + m.group());
        assertTrue(Double.parseDouble(m.group(4)) > 0, "DPO moves the margin: " + m.group());
        AdapterFile a = AdapterFile.read(dpo.resolve("adapter.gguf"));
        assertEquals(io.jdpo.train.Fingerprint.file(sftAdapter), a.provenance().get("jdpo.init_adapter.sha256"));
        assertEquals(8, a.pairs().values().iterator().next().rank(), "the SFT adapter's rank");

        // A shape the SFT adapter does not have is refused, naming both.
        CliTest.Run bad = CliTest.run("train", MODEL, "--data", DATA, "-o", dir.resolve("bad").toString(), "--init-adapter",
                sftAdapter.toString(), "--rank", "4", "--max-steps", "1", "--quiet", "-t", "2");
        assertNotEquals(0, bad.code());
        assertTrue(bad.err().contains("is rank 8") && bad.err().contains("--rank"), bad.err());
    }
}
