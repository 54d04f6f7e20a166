package io.jdpo.train;

import io.jdpo.JdpoException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The step-0 gate passes only finite gaps within bounds: NaN, infinity and "no tokens" fail. */
class StepZeroGapTest {

    private static StepZeroGap gap(float[] ours, float[] theirs) {
        StepZeroGap.Meter m = new StepZeroGap.Meter();
        m.add(ours, theirs);
        m.pairDone();
        return m.result();
    }

    @Test
    void aSmallFiniteGapPasses() {
        StepZeroGap g = gap(new float[]{-1.0f, -2.0f}, new float[]{-1.001f, -2.0f});
        assertTrue(g.within(0.02, 0.15));
        assertDoesNotThrow(() -> g.check(0.02, 0.15, false));
        assertEquals(2, g.tokens());
    }

    @Test
    void anEmptyTrainingSetFailsInsteadOfPassingOnNaN() {
        StepZeroGap g = new StepZeroGap.Meter().result();
        assertTrue(Double.isNaN(g.mean()));
        assertFalse(g.within(0.02, 0.15));
        JdpoException e = assertThrows(JdpoException.class, () -> g.check(0.02, 0.15, true));
        assertTrue(e.getMessage().contains("no completion tokens"), e.getMessage());
    }

    @Test
    void aNaNOrInfiniteLogProbFailsEvenWhenForced() {
        for (float bad : new float[]{Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY}) {
            StepZeroGap ours = gap(new float[]{-1f, bad, -3f}, new float[]{-1f, -2f, -3f});
            StepZeroGap theirs = gap(new float[]{-1f, -2f, -3f}, new float[]{-1f, bad, -3f});
            for (StepZeroGap g : new StepZeroGap[]{ours, theirs}) {
                assertFalse(g.within(0.02, 0.15), bad + " passed the gate: " + g);
                JdpoException e = assertThrows(JdpoException.class, () -> g.check(1e9, 1e9, true));
                assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
            }
        }
    }

    @Test
    void aGapPastTheBoundsFailsUnlessForced() {
        StepZeroGap g = gap(new float[]{-1f}, new float[]{-1.5f});
        assertThrows(JdpoException.class, () -> g.check(0.02, 0.15, false));
        assertDoesNotThrow(() -> g.check(0.02, 0.15, true));
    }
}
