package io.jdpo.loop;

import io.jdpo.demo.DemoPreferences;
import io.jdpo.progress.TrainListener;
import io.jdpo.train.MetricsLog;
import io.jdpo.train.TrainConfig;
import io.jdpo.verify.RegexReward;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Online DPO on the bundled demo model with the demo's reward (dogs per generation): the
 * held-out reward rises over rounds at a KL cost that is measured, and a second run with the
 * same seed writes the same adapter bit for bit.
 */
class OnlineDpoTest {
    static final Path DEMO = Path.of("models/demo.gguf");

    /** The demo task's settings, small enough for the test suite. */
    static Result run(Path out) throws Exception {
        List<String> prompts = DemoPreferences.prompts(DemoPreferences.PAIRS, DemoPreferences.SEED);
        List<String> train = prompts.subList(0, 24), held = prompts.subList(prompts.size() - 8, prompts.size());
        TrainConfig tc = TrainConfig.defaults().toBuilder().rank(8).alpha(16).learningRate(1e-3).batchSize(4)
                .schedule(io.jdpo.train.LrSchedule.Kind.CONSTANT).warmupRatio(0).threads(2).seed(7).build();
        OnlineDpo.Config cfg = new OnlineDpo.Config(3, 4, 6, 4, new Sampling(1f, 1f, 16, List.of(), 11, 1));
        long t0 = System.nanoTime();
        OnlineDpo.Result r = OnlineDpo.run(DEMO, train, held, RegexReward.of(DemoPreferences.REWARD, null), tc, cfg, out, null, false,
                TrainListener.SILENT);
        return new Result(r, (System.nanoTime() - t0) / 1e9);
    }

    record Result(OnlineDpo.Result run, double seconds) {
    }

    @Test
    void heldOutRewardRisesAndTheSameSeedGivesTheSameAdapter(@TempDir Path dir) throws Exception {
        assertTrue(Files.isRegularFile(DEMO), "the bundled demo model");
        Result a = run(dir.resolve("a"));
        OnlineDpo.Result r = a.run();
        System.out.printf("online DPO on the demo (%.1f s): held-out reward %.3f (KL %.4f) before%n", a.seconds(), r.before().scores(), r.before().kl());
        for (OnlineDpo.Round round : r.rounds()) {
            System.out.printf("  round %d (step %d): %d pairs, %d ties; samples' reward %.3f; held-out reward %.3f, KL %.4f, eos %.2f; "
                            + "swap %.2f ms, sampling %.1f s, training %.1f s; llama.cpp vs Java policy max gap %.1e%n",
                    round.round(), round.step(), round.pairs(), round.ties(), round.train().scores(), round.heldOut().scores(),
                    round.heldOut().kl(), round.heldOut().containEos(), round.swapSeconds() * 1e3, round.sampleSeconds(), round.trainSeconds(), round.policyGap());
        }
        // At round 0 the policy is the base: the KL estimate is zero up to the identical scoring of one context.
        assertEquals(0, r.before().kl(), 1e-6);
        OnlineDpo.Round last = r.rounds().getLast();
        assertTrue(last.heldOut().scores() > r.before().scores() + 0.25,
                "held-out reward " + r.before().scores() + " -> " + last.heldOut().scores());
        assertTrue(last.heldOut().kl() > 0, "moving the policy costs KL: " + last.heldOut().kl());
        assertTrue(r.rounds().stream().allMatch(x -> x.swapSeconds() > 0 && x.pairs() + x.ties() == 24));
        // llama.cpp samples from the policy the trainer holds: its log-probs with the swapped-in
        // adapter match the Java forward's on the held-out samples (the demo model is F32: both
        // engines compute the same products, up to float rounding).
        for (OnlineDpo.Round x : r.rounds()) assertTrue(x.policyGap() < 1e-3, "round " + x.round() + ": " + x.policyGap());

        List<Map<String, Object>> rows = MetricsLog.read(r.metrics());
        Map<String, Object> roundRow = rows.stream().filter(m -> m.containsKey("objective/kl")).findFirst().orElseThrow();
        for (String k : List.of("objective/kl", "objective/entropy", "objective/non_score_reward", "objective/rlhf_reward",
                "objective/scores", "objective/scores_margin", "val/contain_eos_token", "rewards/chosen", "rewards/rejected",
                "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected", "beta", "eval_objective/kl")) {
            assertTrue(roundRow.containsKey(k), k + " in " + roundRow.keySet());
        }
        assertEquals(3 * 6, rows.stream().filter(m -> m.containsKey("loss") && !m.containsKey("objective/kl")).count(), "a row per optimizer step");

        Result b = run(dir.resolve("b"));
        assertArrayEquals(Files.readAllBytes(r.adapter()), Files.readAllBytes(b.run().adapter()), "same seed, same adapter bytes");
        assertEquals(r.rounds().getLast().heldOut().scores(), b.run().rounds().getLast().heldOut().scores());
    }
}
