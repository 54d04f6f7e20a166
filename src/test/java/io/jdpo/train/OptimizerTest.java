package io.jdpo.train;

import io.jdpo.data.PreferencePair;
import io.jdpo.data.Truncation;

import io.jdpo.model.LoraConfig;
import io.jdpo.model.LoraTarget;
import io.jdpo.model.LoraWeights;
import io.jdpo.model.ModelConfig;
import io.jdpo.model.Architecture;
import io.jdpo.tensor.SegmentMath;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.*;

/** Schedules, AdamW and truncation against hand-computed values. */
class OptimizerTest {
    @Test
    void schedulesWarmUpThenDecay() {
        LrSchedule cos = new LrSchedule(LrSchedule.Kind.COSINE, 1e-3, 2, 10);
        assertEquals(5e-4, cos.at(0), 1e-15, "linear warm-up: (step + 1) / warmup");
        assertEquals(1e-3, cos.at(1), 1e-15);
        assertEquals(1e-3, cos.at(2), 1e-15, "cosine starts at the peak");
        assertEquals(5e-4, cos.at(6), 1e-15, "half way through the decay: half the peak");
        assertEquals(0, cos.at(10), 1e-15);
        LrSchedule lin = new LrSchedule(LrSchedule.Kind.LINEAR, 1e-3, 0, 4);
        assertEquals(1e-3, lin.at(0), 1e-15);
        assertEquals(2.5e-4, lin.at(3), 1e-15);
        assertEquals(1e-3, new LrSchedule(LrSchedule.Kind.CONSTANT, 1e-3, 0, 4).at(3), 1e-15);
    }

    @Test
    void adamWMatchesTheUpdateRule() {
        ModelConfig m = new ModelConfig(Architecture.LLAMA, 32, 1, 4, 4, 8, 64, 100, 128, 1e-5f, 10000, 8, 1, 0.35f);
        try (LoraWeights p = LoraWeights.init(m, new LoraConfig(2, 4, false, EnumSet.of(LoraTarget.ATTN_Q)), 1);
             LoraWeights g = p.zerosLike(); AdamW opt = new AdamW(p, 0.9, 0.999, 1e-8, 0.01)) {
            float p0 = SegmentMath.get(p.slab(), 0);
            SegmentMath.set(g.slab(), 0, 0.5f);
            opt.step(p, g, 1e-2);
            // Step 1: m̂ = g, v̂ = g², so the update is lr·g/(|g| + ε) = lr (sign of g), after decay p·(1 − lr·wd).
            double expected = p0 - 1e-2 * 0.01 * p0 - 1e-2 * 0.5 / (0.5 + 1e-8);
            assertEquals(expected, SegmentMath.get(p.slab(), 0), 1e-7);
            SegmentMath.set(g.slab(), 0, -0.25f);
            float p1 = SegmentMath.get(p.slab(), 0);
            opt.step(p, g, 1e-2);
            double mHat = (0.9 * 0.05 + 0.1 * -0.25) / (1 - 0.81), vHat = (0.999 * 0.001 * 0.25 + 0.001 * 0.0625) / (1 - 0.998001);
            assertEquals(p1 - 1e-2 * 0.01 * p1 - 1e-2 * mHat / (Math.sqrt(vHat) + 1e-8), SegmentMath.get(p.slab(), 0), 1e-7);
            assertEquals(2, opt.steps());
        }
    }

    @Test
    void truncationKeepsThePromptEndOrStartThenCutsCompletions() {
        PreferencePair p = new PreferencePair(new int[]{1, 2, 3, 4, 5, 6}, new int[]{7, 8, 9, 10}, new int[]{11, 12});
        PreferencePair end = new Truncation(6, 3, Truncation.Mode.KEEP_END).apply(p);
        assertArrayEquals(new int[]{4, 5, 6}, end.prompt());
        assertArrayEquals(new int[]{7, 8, 9}, end.chosen());
        assertArrayEquals(new int[]{11, 12}, end.rejected());
        PreferencePair start = new Truncation(6, 3, Truncation.Mode.KEEP_START).apply(p);
        assertArrayEquals(new int[]{1, 2, 3}, start.prompt());
        assertSame(p, new Truncation(10, 3, Truncation.Mode.KEEP_END).apply(p), "a pair that fits is kept as it is");
    }
}
