package io.jdpo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The case a new user met: an OpenAI-format preference file whose row 14 has a chosen reply
 * beginning with a quote, trained with llama.cpp's llama2 template on the random Llama-2.
 * SentencePiece merges the quote with the "]" of "[/INST]", so the prompt/completion boundary
 * moves under tokenization. The run trains anyway and says which row took which path;
 * {@code --strict} refuses the file at that row.
 */
class ProblemRowTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aReplyBeginningWithAQuoteUnderLlama2TrainsAndStrictRefusesIt(@TempDir Path dir) throws Exception {
        Path model = TestData.tinyRandomLlama2();
        List<String> rows = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            String chosen = i == 14 ? "\\\"Hello\\\" is how one greets a friend." : "Answer number " + i + " is helpful.";
            rows.add("{\"input\": {\"messages\": [{\"role\": \"user\", \"content\": \"Question " + i + "?\"}]},"
                    + " \"preferred_output\": [{\"role\": \"assistant\", \"content\": \"" + chosen + "\"}],"
                    + " \"non_preferred_output\": [{\"role\": \"assistant\", \"content\": \"No idea, " + i + ".\"}]}");
        }
        Path data = Files.write(dir.resolve("openai.jsonl"), rows);
        Path out = dir.resolve("run");
        CliTest.Run r = CliTest.run("train", model.toString(), "--data", data.toString(), "--template", "llama2", "-o", out.toString(),
                "--max-steps", "2", "--batch-size", "2", "--eval-fraction", "0", "--samples", "0", "--no-cache", "--quiet", "-t", "2");
        System.out.print(r.out());
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("1 boundary retokenized (rows 14)"), r.out());
        assertTrue(r.out().contains("trained 2 steps"), r.out());

        JsonNode first = JSON.readTree(Files.readAllLines(out.resolve("metrics.jsonl")).getFirst());
        JsonNode moved = first.path("data").path("paths").path("boundary_retokenized");
        assertEquals(1, moved.path("rows").asInt(), first.toString());
        assertEquals(14, moved.path("first_rows").get(0).asInt(), first.toString());
        assertEquals(20, first.path("data").path("pairs").asInt(), "every row trains");
        String report = Files.readString(out.resolve("report.html"));
        assertTrue(report.contains("data-key=\"data/boundary_retokenized\">1<"), "the report's count is the run's");

        CliTest.Run strict = CliTest.run("train", model.toString(), "--data", data.toString(), "--template", "llama2",
                "-o", dir.resolve("strict").toString(), "--strict", "--max-steps", "1", "--no-cache", "--quiet");
        assertEquals(1, strict.code(), strict.out());
        assertTrue(strict.err().startsWith("jdpo: row 14 (openai.jsonl:14:1): completion tokenized on its own"), strict.err());
        assertFalse(Files.exists(dir.resolve("strict").resolve("metrics.jsonl")), "a refused run leaves nothing behind");
    }

    @Test
    void aTemplateWhoseEndOfTurnIsNotInTheVocabularyFailsOnceBeforeTheData(@TempDir Path dir) throws Exception {
        // chatml closes turns with <|im_end|>, which the Llama-2 vocabulary lacks; the data file does not even exist.
        CliTest.Run r = CliTest.run("train", TestData.tinyRandomLlama2().toString(), "--data", dir.resolve("absent.jsonl").toString(),
                "--template", "chatml", "-o", dir.resolve("o").toString(), "--quiet");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().startsWith("jdpo: template chatml: the template ends a reply with '<|im_end|>', which is not an"
                + " end-of-turn token of the model's vocabulary"), r.err());
    }
}
