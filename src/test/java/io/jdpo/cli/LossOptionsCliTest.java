package io.jdpo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.jdpo.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.*;

/** `train --loss a,b --loss-weights x,y` (here from a YAML config) and `--loss kto` on unpaired rows, end to end. */
class LossOptionsCliTest {
    static final String[] NAMES = {"Lily", "Tom", "Mia", "Ben", "Sue", "Max"};

    @Test
    void mpoFromAConfigFileLogsEachTerm(@TempDir Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (String n : NAMES) {
            sb.append("{\"prompt\": \"Once upon a time, ").append(n).append(" went to the park.\", \"chosen\": \" ").append(n)
                    .append(" saw a big dog.\", \"rejected\": \" ").append(n).append(" saw a big tree.\"}\n");
        }
        Path data = Files.writeString(dir.resolve("prefs.jsonl"), sb.toString());
        Path cfg = Files.writeString(dir.resolve("mpo.yaml"), "loss: [sigmoid, bco_pair, sft]\nloss-weights: [0.8, 0.2, 1.0]\n"
                + "max-steps: 2\nbatch-size: 2\nrank: 4\nsamples: 0\n");
        Path out = dir.resolve("run");
        CliTest.Run r = run("train", TestData.stories260K().toString(), "--data", data.toString(), "-o", out.toString(), "--config", cfg.toString(),
                "--cache-dir", dir.resolve("cache").toString(), "--quiet", "-t", "2", "--eval-fraction", "0");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(Files.readString(out.resolve("config.txt")).contains("loss=[sigmoid*0.8, bco_pair*0.2, sft]"));
        List<String> rows = Files.readAllLines(out.resolve("metrics.jsonl"));
        JsonNode last = new ObjectMapper().readTree(rows.getLast());
        double sum = 0.8 * last.get("loss/sigmoid").asDouble() + 0.2 * last.get("loss/bco_pair").asDouble() + last.get("loss/sft").asDouble();
        assertEquals(sum, last.get("loss").asDouble(), 1e-9, rows.getLast());

        CliTest.Run bad = run("train", TestData.stories260K().toString(), "--data", data.toString(), "-o", dir.resolve("x").toString(),
                "--loss", "sigmoid,sft", "--loss-weights", "1");
        assertEquals(1, bad.code(), bad.out());
        assertTrue(bad.err().contains("--loss-weights gives 1 weights for 2 losses"), bad.err());
        CliTest.Run unknown = run("train", TestData.stories260K().toString(), "--data", data.toString(), "-o", dir.resolve("y").toString(),
                "--loss", "sigmoid,dpo");
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("unknown loss 'dpo'; valid: sigmoid, cdpo"), unknown.err());
    }

    @Test
    void ktoOnUnpairedRows(@TempDir Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (String n : NAMES) {
            sb.append("{\"prompt\": \"Once upon a time, ").append(n).append(" went to the park.\", \"completion\": \" ").append(n)
                    .append(" saw a big dog.\", \"label\": true}\n");
            sb.append("{\"prompt\": \"One day, ").append(n).append(" sat down.\", \"completion\": \" ").append(n)
                    .append(" saw a big tree.\", \"label\": false}\n");
        }
        Path data = Files.writeString(dir.resolve("kto.jsonl"), sb.toString());
        Path out = dir.resolve("run");
        CliTest.Run r = run("train", TestData.stories260K().toString(), "--data", data.toString(), "-o", out.toString(), "--loss", "kto",
                "--undesirable-weight", "1.5", "--max-steps", "2", "--batch-size", "4", "--rank", "4", "--samples", "0",
                "--cache-dir", dir.resolve("cache").toString(), "--quiet", "-t", "2");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("(unpaired): read 12") && r.out().contains("desirable 6"), r.out());
        List<String> rows = Files.readAllLines(out.resolve("metrics.jsonl"));
        JsonNode train = new ObjectMapper().readTree(rows.stream().filter(l -> l.contains("\"loss\"")).reduce((a, b) -> b).orElseThrow());
        assertTrue(train.has("kl") && train.has("loss/kto") && !train.has("rewards/accuracies"), train.toString());
        assertTrue(rows.getLast().contains("\"eval_kl\""), rows.getLast());

        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"prompt\": \"a\", \"completion\": \"b\", \"label\": 1}\n");
        CliTest.Run e = run("train", TestData.stories260K().toString(), "--data", bad.toString(), "-o", dir.resolve("o").toString(), "--loss", "kto");
        assertEquals(1, e.code());
        assertEquals("jdpo: bad.jsonl:1:1: field 'label' must be true or false, found number", e.err().strip());
    }
}
