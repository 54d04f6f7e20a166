package io.jdpo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The command line: inspect (text and JSON), generate, score, and its exit codes. */
class CliTest {
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Jdpo.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void inspectPrintsTheTensorTableAndTotals() {
        Run r = run("inspect", TestData.stories260K().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("blk.4.ffn_down.weight"), r.out());
        assertTrue(r.out().contains("tokenizer.ggml.tokens") && r.out().contains("string[512]"), "long arrays are summarised");
        assertTrue(r.out().contains("GGUF v3"), r.out());
    }

    @Test
    void inspectJsonAddsUp() throws Exception {
        Run r = run("inspect", "--json", TestData.stories260K().toString());
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(48, j.get("tensors").size());
        long sum = 0;
        for (JsonNode t : j.get("tensors")) {
            long n = 1;
            for (JsonNode d : t.get("shape")) n *= d.asLong();
            sum += n;
        }
        assertEquals(sum, j.get("parameters").asLong());
        assertEquals(48, j.get("totalsByType").get("F32").get("tensors").asInt());
        assertEquals("llama", j.get("metadata").get("general.architecture").asText());
    }

    @Test
    void generateAndScore() {
        Run g = run("generate", TestData.stories260K().toString(), "-p", "Once upon a time", "-n", "16", "-t", "2");
        assertEquals(0, g.code(), g.err());
        assertTrue(g.out().startsWith("Once upon a time") && g.out().length() > 30, g.out());
        Run s = run("score", TestData.stories260K().toString(), "-p", "Once upon a time", "-c", " there was a girl", "-t", "2");
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().contains("sum -"), s.out());
        Run j = run("score", TestData.stories260K().toString(), "-p", "Once upon a time", "-c", " there was a girl", "-t", "2", "--engine", "java");
        assertEquals(0, j.code(), j.err());
        assertEquals(sum(s.out()), sum(j.out()), 1e-3, "both engines give the same sum on an F32 model");
        Run p = run("parity", TestData.stories260K().toString(), "-t", "2");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().contains("top-1 agreement 100.0%"), p.out());
    }

    /** The mean |Δ| of the parity output line starting with {@code prefix}. */
    private static double meanGap(String parityOutput, String prefix) {
        String line = parityOutput.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow();
        return Double.parseDouble(line.replaceAll(".*mean \\|Δ\\| ([0-9.e+-]+),.*", "$1"));
    }

    private static double sum(String scoreOutput) {
        String line = scoreOutput.lines().filter(l -> l.startsWith("sum ")).findFirst().orElseThrow();
        return Double.parseDouble(line.split("\\s+")[1]);
    }

    @Test
    void quantizeWritesAModelLlamaCppLoads(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("q8.gguf");
        Run q = run("quantize", TestData.stories260K().toString(), out.toString(), "q8_0", "-t", "2");
        assertEquals(0, q.code(), q.err());
        Run i = run("info", out.toString());
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().contains("Q8_0"), i.out());
        // parity --dequantized: on an F32 copy of the same weights most of the gap goes (what is
        // left comes from the tensors llama.cpp kept in F16, whose columns do not fill Q8_0 blocks).
        Run p = run("parity", out.toString(), "--dequantized", "-t", "2");
        assertEquals(0, p.code(), p.err());
        double direct = meanGap(p.out(), "Java (float arithmetic) vs llama.cpp:"),
                onCopy = meanGap(p.out(), "Java (float arithmetic) vs llama.cpp on the F32 copy");
        assertTrue(onCopy < direct / 10, p.out());
        assertTrue(p.out().contains("llama.cpp, F32 copy vs this file"), p.out());
        Run bad = run("quantize", TestData.stories260K().toString(), out.toString(), "q9_9");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("unknown quantization type 'q9_9'"), bad.err());
        // The file at the output path is the user's: kept unless --overwrite, and never the input.
        byte[] before = Files.readAllBytes(out);
        Run again = run("quantize", TestData.stories260K().toString(), out.toString(), "q4_0", "-t", "2");
        assertEquals(1, again.code());
        assertTrue(again.err().contains(out + ": file already exists; --overwrite replaces it"), again.err());
        assertArrayEquals(before, Files.readAllBytes(out), "the refused run left the file as it was");
        Run replaced = run("quantize", TestData.stories260K().toString(), out.toString(), "q4_0", "-t", "2", "--overwrite");
        assertEquals(0, replaced.code(), replaced.err());
        assertTrue(Files.size(out) < before.length, "Q4_0 replaced Q8_0");
        Run onItself = run("quantize", out.toString(), out.toString(), "q8_0", "--overwrite");
        assertEquals(1, onItself.code());
        assertTrue(onItself.err().contains("is an input of the quantization"), onItself.err());
    }

    @Test
    void errorsAndUsage(@TempDir Path dir) throws Exception {
        Run missing = run("inspect", dir.resolve("none.gguf").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("jdpo: ") && missing.err().contains("none.gguf"), missing.err());
        assertEquals(1, missing.err().strip().lines().count(), "one line, no stack trace: " + missing.err());

        Path bad = Files.writeString(dir.resolve("bad.gguf"), "GGUF but not really a file at all....");
        Run broken = run("inspect", bad.toString());
        assertEquals(1, broken.code());
        assertTrue(broken.err().contains("at byte"), broken.err());

        assertEquals(2, run("inspect").code(), "a missing argument is a usage error");
        assertEquals(2, run("generate", "--no-such-flag").code());
        assertEquals(0, run("--version").code());
    }

    /** A small standard-format preference file of story continuations (the dog theme of the trainer test). */
    static Path storyPreferences(Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        String[] names = {"Lily", "Tom", "Mia", "Ben", "Sue", "Max", "Anna", "Sam", "Lucy", "Tim"};
        for (String n : names) {
            sb.append("{\"prompt\": \"Once upon a time, there was a child named ").append(n).append(".\", ")
                    .append("\"chosen\": \" ").append(n).append(" saw a big dog.\", ")
                    .append("\"rejected\": \" ").append(n).append(" saw a big tree.\"}\n");
        }
        return Files.writeString(dir.resolve("prefs.jsonl"), sb.toString());
    }

    @Test
    void trainWithConfigFileAndFlagsOverridingIt(@TempDir Path dir) throws Exception {
        Path data = storyPreferences(dir);
        Path cfg = Files.writeString(dir.resolve("train.yaml"), "beta: 0.3\nrank: 4\nmax-steps: 2\nbatch-size: 2\nlr: 1e-3\ntargets: [attn_q, ffn_down]\n");
        Path out = dir.resolve("run");
        Run r = run("train", TestData.stories260K().toString(), "--data", data.toString(), "-o", out.toString(),
                "--config", cfg.toString(), "--beta", "0.2", "--cache-dir", dir.resolve("cache").toString(), "--quiet", "-t", "2");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("9 train / 1 eval pairs"), r.out());
        assertTrue(r.out().contains("trained 2 steps"), r.out());
        String config = Files.readString(out.resolve("config.txt"));
        assertTrue(config.contains("beta=0.2") && config.contains("rank=4") && config.contains("maxSteps=2"), config);
        assertTrue(config.contains("targets=[ATTN_Q, FFN_DOWN]"), config);
        assertTrue(Files.size(out.resolve("adapter.gguf")) > 0);
        List<String> rows = Files.readAllLines(out.resolve("metrics.jsonl"));
        String report = Files.readString(out.resolve("report.html"));
        assertEquals(4, report.split("<svg class=\"chart\"", -1).length - 1, "four charts");
        JsonNode last = new ObjectMapper().readTree(rows.stream().filter(l -> l.contains("\"loss\"")).reduce((a, b) -> b).orElseThrow());
        assertTrue(report.contains("data-key=\"loss\">" + String.format(java.util.Locale.ROOT, "%.4f", last.get("loss").asDouble()) + "<")
                || report.contains("data-key=\"loss\">" + String.format(java.util.Locale.ROOT, "%.3e", last.get("loss").asDouble()) + "<"),
                "the report's final loss is the metrics file's");
        assertTrue(report.contains("Samples before and after training"), "samples generated by llama.cpp");
        assertEquals(2, rows.stream().filter(l -> l.contains("\"loss\"")).count(), "two training rows");
        assertEquals(2, rows.stream().filter(l -> l.contains("\"eval_loss\"")).count(), "evaluations before and after");

        // A second run into the same folder leaves the first one's results alone unless told to replace them.
        byte[] metrics = Files.readAllBytes(out.resolve("metrics.jsonl"));
        String[] again = {"train", TestData.stories260K().toString(), "--data", data.toString(), "-o", out.toString(),
                "--config", cfg.toString(), "--max-steps", "1", "--cache-dir", dir.resolve("cache").toString(), "--quiet", "-t", "2"};
        Run refused = run(again);
        assertEquals(1, refused.code(), refused.out());
        assertTrue(refused.err().contains("holds an earlier run (adapter.gguf, metrics.jsonl, report.html)")
                && refused.err().contains("--overwrite"), refused.err());
        assertArrayEquals(metrics, Files.readAllBytes(out.resolve("metrics.jsonl")));
        String[] replace = java.util.Arrays.copyOf(again, again.length + 1);
        replace[again.length] = "--overwrite";
        Run replaced = run(replace);
        assertEquals(0, replaced.code(), replaced.err());
        assertTrue(replaced.out().contains("trained 1 steps"), replaced.out());
    }

    @Test
    void trainErrors(@TempDir Path dir) throws Exception {
        Run usage = run("train", TestData.stories260K().toString(), "-o", dir.toString());
        assertEquals(2, usage.code(), "--data is required");
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": 7}\n");
        Run data = run("train", TestData.stories260K().toString(), "--data", bad.toString(), "-o", dir.resolve("o").toString());
        assertEquals(1, data.code());
        assertEquals("jdpo: bad.jsonl:1:1: field 'rejected' must be a string, found number", data.err().strip());
        Path cfg = Files.writeString(dir.resolve("c.json"), "{\"beta\": }");
        Run config = run("train", TestData.stories260K().toString(), "--config", cfg.toString());
        assertEquals(2, config.code());
        assertTrue(config.err().startsWith("jdpo: config " + cfg + ":1:"), config.err());
    }

    /** The pipeline after training: export the adapter as F16, merge it into the base, verify the merge in llama.cpp. */
    @Test
    void trainExportMergeVerify(@TempDir Path dir) throws Exception {
        Path data = storyPreferences(dir), run = dir.resolve("run");
        String base = TestData.stories260K().toString();
        Run train = run("train", base, "--data", data.toString(), "-o", run.toString(), "--max-steps", "12", "--rank", "8",
                "--lr", "2e-3", "--batch-size", "3", "--eval-fraction", "0", "--checkpoint-every", "6", "--no-cache", "--quiet", "-t", "2");
        assertEquals(0, train.code(), train.err() + train.out());
        Run export = run("export-adapter", run.resolve("checkpoints/step-000012").toString(), "-o", dir.resolve("a16.gguf").toString(), "--type", "f16");
        assertEquals(0, export.code(), export.err());
        assertTrue(export.out().contains("35 adapted tensors, F16"), export.out());
        Run exportAgain = run("export-adapter", run.toString(), "-o", dir.resolve("a16.gguf").toString(), "--type", "f16");
        assertEquals(1, exportAgain.code());
        assertTrue(exportAgain.err().contains("file already exists"), exportAgain.err());
        assertEquals(0, run("export-adapter", run.toString(), "-o", dir.resolve("a16.gguf").toString(), "--type", "f16", "--overwrite").code());
        Run merge = run("merge", base, run.resolve("adapter.gguf") + ":1.0", "-o", dir.resolve("merged.gguf").toString(),
                "--verify", data.toString(), "-t", "2");
        assertEquals(0, merge.code(), merge.err() + merge.out());
        System.out.print(merge.out().lines().filter(l -> !l.startsWith("\rmerge")).reduce("", (a, b) -> a + b + "\n"));
        var m = java.util.regex.Pattern.compile("KL\\(base\\+adapters \\|\\| merged\\) mean ([0-9.e+-]+).*base\\+adapters ([0-9.]+), merged ([0-9.]+)")
                .matcher(merge.out());
        assertTrue(m.find(), merge.out());
        assertTrue(Double.parseDouble(m.group(1)) < 1e-4, "an F32 merge reproduces base + adapter: " + m.group(1));
        assertEquals(m.group(2), m.group(3), "same preference accuracy");
        assertTrue(Double.parseDouble(m.group(2)) >= 0.9, "the trained adapter prefers the chosen continuations: " + m.group(2));
        Run eval = run("eval", base, "--data", data.toString(), "--lora", run.resolve("adapter.gguf").toString(),
                "--reward-regex", "\\bdog\\b", "--quiet", "-t", "2");
        assertEquals(0, eval.code(), eval.err() + eval.out());
        var e = java.util.regex.Pattern.compile("10 pairs: rewards/accuracies ([0-9.]+)  rewards/margins ([0-9.-]+)").matcher(eval.out());
        assertTrue(e.find(), eval.out());
        assertEquals(m.group(2), String.format(java.util.Locale.ROOT, "%.3f", Double.parseDouble(e.group(1))), "eval agrees with merge --verify");
        assertTrue(Double.parseDouble(e.group(2)) > 0, eval.out());
        assertTrue(eval.out().contains("generation reward (greedy, 48 tokens, 10 prompts): base"), eval.out());
        // The same reward from an external program, and a GGUF judge model through llama.cpp.
        Run cmd = run("eval", base, "--data", data.toString(), "--lora", run.resolve("adapter.gguf").toString(),
                "--reward-command", "grep -o -i -w dog | wc -l", "--quiet", "-t", "2");
        assertEquals(0, cmd.code(), cmd.err() + cmd.out());
        String regexLine = eval.out().lines().filter(l -> l.startsWith("generation reward")).findFirst().orElseThrow();
        assertTrue(cmd.out().contains(regexLine), "command reward = regex reward: " + cmd.out());
        Run judge = run("eval", base, "--data", data.toString(), "--lora", run.resolve("adapter.gguf").toString(), "--max-pairs", "2",
                "--judge", base, "--judge-question", "%s Was it a dog? Answer:", "--quiet", "-t", "2");
        assertEquals(0, judge.code(), judge.err() + judge.out());
        assertTrue(judge.out().matches("(?s).*generation reward \\(greedy, 48 tokens, 2 prompts\\): base -?[0-9.]+, with adapter -?[0-9.]+.*"), judge.out());
        // Into a 4-bit copy of the base, calibrated on the training data: candidates measured, the closest kept.
        Path q4 = dir.resolve("base-q4_0.gguf");
        io.jdpo.llama.ModelQuantizer.quantize(TestData.stories260K(), q4, io.jdpo.llama.FileType.Q4_0, 2);
        Run refused = run("merge", q4.toString(), run.resolve("adapter.gguf").toString(), "-o", dir.resolve("q4-merged.gguf").toString(),
                "--calibration", data.toString(), "--verify", data.toString());
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("--calibration and --verify are the same file"), refused.err());
        Run calibrated = run("merge", q4.toString(), run.resolve("adapter.gguf").toString(), "-o", dir.resolve("q4-merged.gguf").toString(),
                "--calibration", data.toString(), "--candidates", "3", "-t", "2", "--quiet");
        assertEquals(0, calibrated.code(), calibrated.err() + calibrated.out());
        System.out.print(calibrated.out());
        assertTrue(calibrated.out().contains("importance matrix from 10 calibration pairs"), calibrated.out());
        for (int i = 1; i <= 3; i++) assertTrue(calibrated.out().contains("candidate " + i + "/3"), calibrated.out());
        assertTrue(calibrated.out().matches("(?s).*kept candidate [123] \\(along weight [0-9.]+\\): calibration KL [0-9.e+-]+ mean.*"), calibrated.out());
        assertTrue(Files.size(dir.resolve("q4-merged.gguf")) > 0);
        try (var left = Files.list(dir)) {
            assertTrue(left.noneMatch(f -> f.getFileName().toString().contains(".candidates-")), "the candidates' folder is removed");
        }
        Run same = run("merge", base, run.resolve("adapter.gguf").toString(), "-o", base);
        assertEquals(1, same.code());
        assertTrue(same.err().contains("is an input of the merge"), same.err());
    }

    /**
     * The README's main job on the bundled model: the demo pipeline end to end, with the
     * preferred behaviour rising in llama.cpp's generations.
     */
    @Test
    void demoRunsThePipelineAndTheRewardRises(@TempDir Path dir) throws Exception {
        assertTrue(Files.isRegularFile(Path.of("models/demo.gguf")), "the bundled demo model (models/build-demo-model.sh rebuilds it)");
        Run demo = run("demo", "-o", dir.toString(), "--quiet", "-t", "2");
        assertEquals(0, demo.code(), demo.err() + demo.out());
        var m = java.util.regex.Pattern.compile("demo reward \\(dogs per generation.*\\): before ([0-9.]+) -> after ([0-9.]+)").matcher(demo.out());
        assertTrue(m.find(), demo.out());
        assertTrue(Double.parseDouble(m.group(2)) >= Double.parseDouble(m.group(1)) + 1, demo.out());
        for (String f : List.of("report.html", "adapter.gguf", "adapter-f16.gguf", "merged.gguf", "metrics.jsonl", "demo-prefs.jsonl")) {
            assertTrue(Files.size(dir.resolve(f)) > 0, f);
        }
        assertTrue(demo.out().contains("held-out reward margin"), demo.out());
    }

    @Test
    void aMissingFileIsNamedAsMissing(@TempDir Path dir) {
        Path missing = dir.resolve("no-adapter.gguf");
        Run merge = run("merge", TestData.stories260K().toString(), missing.toString(), "-o", dir.resolve("m.gguf").toString());
        assertEquals(1, merge.code(), merge.out());
        assertEquals("jdpo: no such file: " + missing, merge.err().strip());
    }

    @Test
    void fileSystemErrorsNameTheProblemBeforeThePath() {
        assertEquals("no such file: a/b.gguf", Jdpo.message(new java.nio.file.NoSuchFileException("a/b.gguf")));
        assertEquals("no such file: a/b.gguf",
                Jdpo.message(new java.io.UncheckedIOException(new java.nio.file.NoSuchFileException("a/b.gguf"))));
        assertEquals("permission denied: /root/x", Jdpo.message(new java.nio.file.AccessDeniedException("/root/x")));
        assertEquals("plain message", Jdpo.message(new IllegalArgumentException("plain message")));
    }
}
