package io.jdpo.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Each loss against values worked out by hand, and its gradient against central differences. */
class DpoLossTest {
    // πc = -10, πr = -12, rc = -11, rr = -11.5, |c| = 4, |r| = 5.
    static final DpoLoss.Pair PAIR = new DpoLoss.Pair(-10, -12, -11, -11.5, 4, 5);

    @Test
    void sigmoidByHand() {
        // h = 0.1·[(−10+11) − (−12+11.5)] = 0.1·1.5 = 0.15; loss = log(1 + e^−0.15) = log 1.860708 = 0.620957
        var r = DpoLoss.dpo().evaluate(PAIR);
        assertEquals(Math.log1p(Math.exp(-0.15)), r.loss(), 1e-12);
        assertEquals(0.620957, r.loss(), 1e-6);
        double s = 1 / (1 + Math.exp(0.15)); // σ(−h)
        assertEquals(-0.1 * s, r.dPolicyChosen(), 1e-12);
        assertEquals(0.1 * s, r.dPolicyRejected(), 1e-12);
        assertEquals(0.1, r.rewardChosen(), 1e-12);
        assertEquals(-0.05, r.rewardRejected(), 1e-12);
        assertTrue(r.correct());
        assertEquals(0.15, r.margin(), 1e-12);
    }

    @Test
    void labelSmoothingHingeIpoRobustSimpoRpoByHand() {
        double h = 0.15, eps = 0.1;
        var cdpo = new DpoLoss(LossType.SIGMOID, 0.1, eps, 0, 0).evaluate(PAIR);
        assertEquals(0.9 * Math.log1p(Math.exp(-h)) + 0.1 * Math.log1p(Math.exp(h)), cdpo.loss(), 1e-12);

        assertEquals(0.85, new DpoLoss(LossType.HINGE, 0.1, 0, 0, 0).evaluate(PAIR).loss(), 1e-12);
        var hinge = new DpoLoss(LossType.HINGE, 0.1, 0, 0, 0).evaluate(new DpoLoss.Pair(0, -20, 0, 0, 4, 5));
        assertEquals(0, hinge.loss(), 1e-12, "h = 2 ≥ 1: no loss");
        assertEquals(0, hinge.dPolicyChosen(), 0);

        // IPO: h′ = 1/4 − (−0.5)/5 = 0.35; target 1/(2·0.1) = 5; loss = (0.35 − 5)² = 21.6225.
        assertEquals(21.6225, new DpoLoss(LossType.IPO, 0.1, 0, 0, 0).evaluate(PAIR).loss(), 1e-9);

        var robust = new DpoLoss(LossType.ROBUST, 0.1, eps, 0, 0).evaluate(PAIR);
        assertEquals((0.9 * Math.log1p(Math.exp(-h)) - 0.1 * Math.log1p(Math.exp(h))) / 0.8, robust.loss(), 1e-12);

        // SimPO, β = 2, γ = 0.5: z = 2·(−10/4) − 2·(−12/5) − 0.5 = −5 + 4.8 − 0.5 = −0.7.
        var simpo = new DpoLoss(LossType.SIMPO, 2, 0, 0.5, 0).evaluate(PAIR);
        assertEquals(Math.log1p(Math.exp(0.7)), simpo.loss(), 1e-12);
        assertEquals(-5, simpo.rewardChosen(), 1e-12);

        // RPO adds α·(−πc/|c|) = 0.5·2.5 to DPO.
        var rpo = new DpoLoss(LossType.SIGMOID, 0.1, 0, 0, 0.5).evaluate(PAIR);
        assertEquals(Math.log1p(Math.exp(-h)) + 1.25, rpo.loss(), 1e-12);
    }

    @Test
    void everyGradientMatchesCentralDifferences() {
        DpoLoss[] losses = {DpoLoss.dpo(), new DpoLoss(LossType.SIGMOID, 0.3, 0.2, 0, 0.1),
                new DpoLoss(LossType.IPO, 0.1, 0, 0, 0), new DpoLoss(LossType.HINGE, 0.1, 0, 0, 0),
                new DpoLoss(LossType.ROBUST, 0.2, 0.1, 0, 0), new DpoLoss(LossType.SIMPO, 2, 0.05, 0.5, 0.3)};
        double e = 1e-5;
        for (DpoLoss l : losses) {
            var r = l.evaluate(PAIR);
            double dc = (l.evaluate(new DpoLoss.Pair(-10 + e, -12, -11, -11.5, 4, 5)).loss()
                    - l.evaluate(new DpoLoss.Pair(-10 - e, -12, -11, -11.5, 4, 5)).loss()) / (2 * e);
            double dr = (l.evaluate(new DpoLoss.Pair(-10, -12 + e, -11, -11.5, 4, 5)).loss()
                    - l.evaluate(new DpoLoss.Pair(-10, -12 - e, -11, -11.5, 4, 5)).loss()) / (2 * e);
            assertEquals(dc, r.dPolicyChosen(), 1e-7, l + " d/dπc");
            assertEquals(dr, r.dPolicyRejected(), 1e-7, l + " d/dπr");
        }
    }

    @Test
    void stableForHugeMarginsAndBadSettingsRefused() {
        var big = DpoLoss.dpo().evaluate(new DpoLoss.Pair(0, -1e5, 0, 0, 1, 1));
        assertEquals(0, big.loss(), 1e-12);
        var bad = DpoLoss.dpo().evaluate(new DpoLoss.Pair(-1e5, 0, 0, 0, 1, 1));
        assertEquals(1e4, bad.loss(), 1e-6);
        assertTrue(Double.isFinite(bad.dPolicyChosen()));
        assertThrows(IllegalArgumentException.class, () -> new DpoLoss(LossType.SIGMOID, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new DpoLoss(LossType.ROBUST, 0.1, 0.5, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> LossType.parse("kto"));
        assertEquals(LossType.IPO, LossType.parse("ipo"));
    }
}
