package io.jdpo.llama;

import io.jdpo.testing.TestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Generation through the binding, held to llama.cpp's own greedy completion tool. */
class GenerationTest {
    private static final String PROMPT = "Once upon a time";
    private static LlamaModel model;

    @BeforeAll
    static void load() {
        model = LlamaModel.load(TestData.stories260K());
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    private static GenerationResult generate(GenerationOptions options) {
        try (LlamaContext ctx = LlamaContext.create(model, ContextParams.of(256).withThreads(2))) {
            return new Generator(ctx).generate(PROMPT, options);
        }
    }

    @Test
    void greedyGenerationMatchesLlamaSimple() throws Exception {
        GenerationResult ours = generate(GenerationOptions.greedy(48));
        assertEquals(48, ours.tokens().length, "48 tokens without an end-of-generation token");

        var tool = LlamaRuntime.get().tool("llama-simple").orElseThrow(
                () -> new AssertionError("llama-simple missing beside " + LlamaRuntime.get().libraryDir()));
        Process p = new ProcessBuilder(tool.toString(), "-m", model.path().toString(), "-n", "48", PROMPT)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] stdout = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "llama-simple failed");
        // llama-simple echoes the prompt's tokens (special tokens rendered), then the continuation.
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int t : model.tokenizer().tokenize(PROMPT, true, true)) {
            expected.writeBytes(model.tokenizer().pieceBytes(t, true));
        }
        expected.writeBytes(ours.text().getBytes(StandardCharsets.UTF_8));
        String theirs = new String(stdout, StandardCharsets.UTF_8).strip();
        assertEquals(expected.toString(StandardCharsets.UTF_8).strip(), theirs);
    }

    @Test
    void sameSeedSameTextDifferentSeedsDiffer() {
        GenerationOptions base = GenerationOptions.greedy(40);
        String a = generate(base.withSampler(SamplerConfig.sampling(1.0f, 42))).text();
        String b = generate(base.withSampler(SamplerConfig.sampling(1.0f, 42))).text();
        assertEquals(a, b);
        List<String> others = new ArrayList<>();
        for (long seed = 1; seed <= 3; seed++) {
            others.add(generate(base.withSampler(SamplerConfig.sampling(1.0f, seed))).text());
        }
        assertTrue(others.stream().anyMatch(o -> !o.equals(a)), "three other seeds all gave the same text: " + a);
    }

    @Test
    void stopStringCutsTheTextAndStreamingDeliversTheSame() {
        String full = generate(GenerationOptions.greedy(48)).text();
        int cut = full.indexOf(' ', full.length() / 2);
        String stop = full.substring(cut, cut + 4);
        StringBuilder streamed = new StringBuilder();
        GenerationResult r;
        try (LlamaContext ctx = LlamaContext.create(model, ContextParams.of(256).withThreads(2))) {
            r = new Generator(ctx).generate(PROMPT, GenerationOptions.greedy(48).withStopStrings(List.of(stop)),
                    streamed::append);
        }
        assertEquals(GenerationResult.StopReason.STOP_STRING, r.stopReason());
        assertEquals(full.substring(0, full.indexOf(stop)), r.text());
        assertEquals(r.text(), streamed.toString());
    }

    @Test
    void grammarConstrainsTheOutput() {
        String gbnf = "root ::= (\"yes\" | \"no\") \".\"";
        SamplerConfig cfg = SamplerConfig.sampling(1.0f, 7).withGrammar(gbnf, "root");
        for (long seed = 0; seed < 4; seed++) {
            String text = generate(GenerationOptions.greedy(10).withSampler(cfg.withSeed(seed))).text().strip();
            assertTrue(text.equals("yes.") || text.equals("no."), "grammar output: '" + text + "'");
        }
    }

    @Test
    void penaltiesChangeGreedyOutput() {
        String plain = generate(GenerationOptions.greedy(48)).text();
        String penalised = generate(GenerationOptions.greedy(48)
                .withSampler(SamplerConfig.greedy().withPenalties(1.5f, 0.5f, 0.5f, 64))).text();
        assertNotEquals(plain, penalised);
    }

    @Test
    void completionsSampledTogetherEqualThoseSampledOneByOne() {
        int[] prompt = model.tokenizer().tokenize(PROMPT, true, false);
        String full = generate(GenerationOptions.greedy(40)).text();
        String stop = full.substring(full.length() / 2, full.length() / 2 + 3);
        List<GenerationOptions> options = List.of(
                GenerationOptions.greedy(40),
                GenerationOptions.sampling(30, 1.0f, 7),
                GenerationOptions.sampling(25, 1.0f, 8),
                GenerationOptions.greedy(40).withStopStrings(List.of(stop)),
                GenerationOptions.sampling(5, 1.0f, 9),
                GenerationOptions.greedy(0));
        List<GenerationResult> together;
        List<GenerationResult> alone = new ArrayList<>();
        try (LlamaContext ctx = LlamaContext.create(model, ContextParams.of(256).withSequences(options.size()).withThreads(2))) {
            Generator gen = new Generator(ctx);
            together = gen.generateAll(prompt, options);
            for (GenerationOptions o : options) alone.add(gen.generate(prompt, o, s -> { }));
        }
        assertEquals(options.size(), together.size());
        for (int j = 0; j < options.size(); j++) {
            assertArrayEquals(alone.get(j).tokens(), together.get(j).tokens(), "completion " + j + ": tokens");
            assertEquals(alone.get(j).text(), together.get(j).text(), "completion " + j + ": text");
            assertEquals(alone.get(j).stopReason(), together.get(j).stopReason(), "completion " + j + ": stop reason");
        }
        assertEquals(GenerationResult.StopReason.STOP_STRING, together.get(3).stopReason());
        assertEquals(5, together.get(4).tokens().length);
        assertEquals(0, together.get(5).tokens().length);
        assertNotEquals(together.get(1).text(), together.get(2).text(), "two seeds, one text");
    }

    @Test
    void sampledTogetherRefusesWhatTheContextCannotHold() {
        int[] prompt = model.tokenizer().tokenize(PROMPT, true, false);
        try (LlamaContext ctx = LlamaContext.create(model, ContextParams.of(64).withSequences(2).withThreads(2))) {
            Generator gen = new Generator(ctx);
            var seqs = assertThrows(IllegalArgumentException.class,
                    () -> gen.generateAll(prompt, List.of(GenerationOptions.greedy(4), GenerationOptions.greedy(4), GenerationOptions.greedy(4))));
            assertTrue(seqs.getMessage().contains("3 completions") && seqs.getMessage().contains("has 2"), seqs.getMessage());
            var cells = assertThrows(IllegalArgumentException.class,
                    () -> gen.generateAll(prompt, List.of(GenerationOptions.greedy(40), GenerationOptions.greedy(40))));
            assertTrue(cells.getMessage().contains("KV cells") && cells.getMessage().contains("has 64"), cells.getMessage());
            assertThrows(IllegalArgumentException.class, () -> gen.generateAll(prompt, List.of()));
        }
    }
}
