package io.jdpo.train;

import io.jdpo.progress.TrainListener;

import io.jdpo.data.PairEncoder;
import io.jdpo.data.PreferenceExample;
import io.jdpo.data.PreferencePair;
import io.jdpo.data.PreferenceReader;

import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.Tokenizer;
import io.jdpo.model.LoraTarget;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * DPO on the real pretrained stories260K: a preference set whose chosen continuations carry
 * a theme (a dog appears) that the rejected ones lack. Held-out accuracy must rise from
 * chance to ≥ 0.9 with the chosen log-prob rising above the reference; a stopped and
 * resumed run must end bit-identical to an uninterrupted one.
 */
class DpoTrainerTest {
    static final String[] NAMES = {"Lily", "Tom", "Mia", "Ben", "Sue", "Max", "Anna", "Sam", "Lucy", "Tim", "Zoe", "Jack",
            "Emma", "Leo", "Kate", "Joe", "Amy", "Dan", "Rose", "Bob"};
    static final String[] PLACES = {"park", "garden", "beach", "forest"};
    static final String[][] CHOSEN = {{" saw a big dog. The dog wagged its tail.", " and the dog played together."},
            {" met a little dog. The dog was very happy.", " gave the dog a hug."}};
    static final String[][] REJECTED = {{" saw a big tree. The tree was very tall.", " sat under the tree."},
            {" found a red box. The box was very pretty.", " put the box on the bed."}};

    @TempDir
    static Path cache;
    static List<PreferencePair> train = new ArrayList<>(), eval = new ArrayList<>();

    @BeforeAll
    static void buildPairs() {
        try (LlamaModel m = LlamaModel.load(TestData.stories260K())) {
            Tokenizer tok = m.tokenizer();
            int k = 0;
            for (String name : NAMES) {
                for (String place : PLACES) {
                    int v = k++ % 2;
                    String prompt = "Once upon a time, there was a child named " + name + ". One day, " + name + " went to the " + place + ".";
                    String chosen = " " + name + CHOSEN[v][0] + " " + name + CHOSEN[v][1];
                    String rejected = " " + name + REJECTED[v][0] + " " + name + REJECTED[v][1];
                    PreferencePair p = new PreferencePair(tok.tokenize(prompt, true, false), tok.tokenize(chosen, false, false),
                            tok.tokenize(rejected, false, false));
                    // The last four names are held out.
                    (name.equals("Joe") || name.equals("Amy") || name.equals("Dan") || name.equals("Rose") || name.equals("Bob")
                            ? eval : train).add(p);
                }
            }
        }
    }

    /** Keeps the trainer's messages (and prints them). */
    static class Collecting implements TrainListener {
        final List<String> messages;

        Collecting(List<String> messages) {
            this.messages = messages;
        }

        @Override
        public void message(String line) {
            messages.add(line);
            System.out.println(line);
        }
    }

    @Test
    void aModelPastTheParityBoundsIsRefusedUnlessForced(@TempDir Path dir) throws Exception {
        // stories260K's real gap is about 1e-5 nats per token: bounds of 1e-9 stand for a model
        // whose Java forward drifts from llama.cpp.
        List<PreferencePair> few = train.subList(0, 4);
        Path refused = dir.resolve("refused");
        var e = assertThrows(IllegalStateException.class, () -> new DpoTrainer(config().maxSteps(1).build()).cacheDir(cache)
                .parityBounds(1e-9, 1e-9).train(TestData.stories260K(), few, List.of(), refused, null, new Collecting(new ArrayList<>())));
        assertTrue(e.getMessage().contains("differs from llama.cpp") && e.getMessage().contains("--dequantized")
                && e.getMessage().contains("force"), e.getMessage());
        assertFalse(Files.exists(refused.resolve("metrics.jsonl")), "a refused run leaves no metrics behind");
        assertFalse(Files.exists(refused.resolve("adapter.gguf")));

        TrainResult forced = new DpoTrainer(config().maxSteps(1).force(true).build()).cacheDir(cache)
                .parityBounds(1e-9, 1e-9).train(TestData.stories260K(), few, List.of(), dir.resolve("forced"), null, new Collecting(new ArrayList<>()));
        assertEquals(1, forced.steps());
        String first = Files.readAllLines(forced.metrics()).getFirst();
        assertTrue(first.contains("policy_ref_gap/max"), "the gap is logged even when forced: " + first);
    }

    static TrainConfig.Builder config() {
        return TrainConfig.defaults().toBuilder().rank(8).alpha(16).learningRate(5e-4).batchSize(4).threads(2)
                .targets(LoraTarget.all()).warmupRatio(0.1).seed(7);
    }

    @Test
    void learnsThePreferredTheme(@TempDir Path out) throws IOException {
        List<String> messages = new ArrayList<>();
        TrainListener listener = new Collecting(messages) {
            @Override
            public void metrics(Map<String, Object> row) {
                System.out.println(row);
            }
        };
        TrainResult r = new DpoTrainer(config().maxSteps(30).evalEvery(10).build()).cacheDir(cache)
                .train(TestData.stories260K(), train, eval, out, null, listener);
        double marginBefore = (double) r.firstEval().get("eval_rewards/margins"), marginAfter = (double) r.lastEval().get("eval_rewards/margins");
        double after = (double) r.lastEval().get("eval_rewards/accuracies");
        double chosenBefore = (double) r.firstEval().get("eval_logps/chosen"), chosenAfter = (double) r.lastEval().get("eval_logps/chosen");
        System.out.printf("held-out margin %.2e -> %.3f, accuracy %.2f, chosen log-prob %.2f -> %.2f, reward/chosen %.3f, %.0f tokens/s%n",
                marginBefore, marginAfter, after, chosenBefore, chosenAfter, (double) r.lastEval().get("eval_rewards/chosen"), r.tokensPerSecond());
        // Before training the policy is the reference: margins are only the engines' rounding.
        assertTrue(Math.abs(marginBefore) < 1e-4, "step-0 margin " + marginBefore);
        assertTrue(after >= 0.9, "held-out accuracy after training " + after);
        assertTrue((double) r.lastEval().get("eval_rewards/chosen") > 0, "the chosen log-prob rises against the reference");
        assertTrue(messages.stream().anyMatch(s -> s.startsWith("step 0: Java policy vs llama.cpp reference")), String.valueOf(messages));
        assertTrue(Files.size(r.adapter()) > 0);
        List<String> lines = Files.readAllLines(r.metrics());
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"rewards/margins\"") && l.contains("\"grad_norm\"")), "TRL metric names");
    }

    @Test
    void resumedRunEndsBitIdenticalToAnUninterruptedOne(@TempDir Path dir) throws IOException {
        TrainConfig cfg = config().maxSteps(6).checkpointEvery(3).gradientAccumulation(2).batchSize(2).build();
        Path full = dir.resolve("full"), resumed = dir.resolve("resumed");
        TrainResult a = new DpoTrainer(cfg).cacheDir(cache).train(TestData.stories260K(), train, eval, full, null, TrainListener.SILENT);
        Path checkpoint = full.resolve("checkpoints/step-000003");
        assertTrue(Files.isDirectory(checkpoint));
        TrainResult b = new DpoTrainer(cfg).cacheDir(cache).train(TestData.stories260K(), train, eval, resumed, checkpoint, TrainListener.SILENT);
        assertArrayEquals(Files.readAllBytes(a.adapter()), Files.readAllBytes(b.adapter()), "adapter after resume");
        assertArrayEquals(Files.readAllBytes(full.resolve("checkpoints/step-000006/state.bin")),
                Files.readAllBytes(resumed.resolve("checkpoints/step-000006/state.bin")), "optimizer state after resume");

        // The reference log-probs of this data were scored once; every later run read them from the cache.
        List<String> messages = new ArrayList<>();
        new DpoTrainer(cfg).cacheDir(cache).train(TestData.stories260K(), train, eval, dir.resolve("again"), null, new Collecting(messages));
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("reference log-probs: " + (train.size() + eval.size()) + " pairs from cache")), String.valueOf(messages));

        TrainConfig other = config().maxSteps(6).checkpointEvery(3).gradientAccumulation(2).batchSize(2).beta(0.2).build();
        IOException e = assertThrows(IOException.class, () -> new DpoTrainer(other).cacheDir(cache)
                .train(TestData.stories260K(), train, eval, dir.resolve("other"), checkpoint, TrainListener.SILENT));
        assertTrue(e.getMessage().contains("configuration differs"), e.getMessage());
    }

    /** Real data: HH-RLHF's long multi-turn transcripts (implicit prompt) on the random Llama-2 with the full vocabulary. */
    @Test
    void trainsOnHhRlhfWithTheFullLlama2Vocabulary(@TempDir Path out) throws IOException {
        PreferenceReader.Data data = PreferenceReader.read(TestData.require("preferences/hh-rlhf-harmless-base-test.jsonl.gz"), null);
        List<PreferencePair> pairs = new ArrayList<>();
        int fallbacks;
        try (LlamaModel m = LlamaModel.load(TestData.tinyRandomLlama2())) {
            PairEncoder enc = new PairEncoder(m.tokenizer(), null);
            for (PreferenceExample e : data.examples().subList(0, 48)) pairs.add(enc.encode(e));
            fallbacks = enc.boundaryFallbacks();
        }
        List<String> messages = new ArrayList<>();
        TrainListener listener = new Collecting(messages);
        TrainConfig cfg = config().maxSteps(4).maxLength(256).maxPromptLength(128).learningRate(1e-3).build();
        TrainResult r = new DpoTrainer(cfg).cacheDir(cache)
                .train(TestData.tinyRandomLlama2(), pairs.subList(0, 40), pairs.subList(40, 48), out, null, listener);
        System.out.printf("hh-rlhf: %d pairs, %d truncated, %d boundary fallbacks, %d steps, last loss %.4f, %.0f tokens/s%n",
                pairs.size(), r.truncatedPairs(), fallbacks, r.steps(), (double) r.lastTrain().get("loss"), r.tokensPerSecond());
        assertEquals(4, r.steps());
        assertTrue(r.truncatedPairs() > 0, "HH-RLHF transcripts exceed 256 tokens");
        assertTrue(messages.stream().anyMatch(s -> s.startsWith(r.truncatedPairs() + " of 48 pairs truncated to max_length 256")), String.valueOf(messages));
        assertTrue(Double.isFinite((double) r.lastTrain().get("loss")));
        assertTrue(Double.isFinite((double) r.lastEval().get("eval_loss")));
    }
}
