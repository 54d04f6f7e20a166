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
        Run bad = run("quantize", TestData.stories260K().toString(), out.toString(), "q9_9");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("unknown quantization type 'q9_9'"), bad.err());
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
}
