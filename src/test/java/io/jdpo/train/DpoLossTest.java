package io.jdpo.train;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Each loss against values worked out by hand (the literals below come from the papers'
 * formulas evaluated on their own, not from this code), its gradient against central
 * differences, and a combination against the weighted sum of its terms.
 */
class DpoLossTest {
    // πc = -10, πr = -12, rc = -11, rr = -11.5, |c| = 4, |r| = 5: uc = 1, ur = -0.5, Δ = 1.5, βΔ = 0.15 at β = 0.1.
    static final DpoLoss.Pair PAIR = new DpoLoss.Pair(-10, -12, -11, -11.5, 4, 5);
    // A second pair: policy gap -1 and reference gap 1 (so AOT's sorts reorder), uc = 0.5, ur = 2.5.
    static final DpoLoss.Pair OTHER = new DpoLoss.Pair(-8, -7, -8.5, -9.5, 3, 2);

    static DpoLoss one(LossType t) {
        return new DpoLoss(t, 0.1, t == LossType.EXO_PAIR || t == LossType.CDPO || t == LossType.ROBUST ? 0.1 : 0, 0.5, 0);
    }

    static double softplus(double x) {
        return Math.log1p(Math.exp(x));
    }

    static double sig(double x) {
        return 1 / (1 + Math.exp(-x));
    }

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
    void everyPairLossByHand() {
        double h = 0.15, eps = 0.1;
        assertEquals(0.9 * softplus(-h) + 0.1 * softplus(h), one(LossType.CDPO).evaluate(PAIR).loss(), 1e-12);
        assertEquals(0.85, one(LossType.HINGE).evaluate(PAIR).loss(), 1e-12);
        var hinge = one(LossType.HINGE).evaluate(new DpoLoss.Pair(0, -20, 0, 0, 4, 5));
        assertEquals(0, hinge.loss(), 1e-12, "h = 2 ≥ 1: no loss");
        assertEquals(0, hinge.dPolicyChosen(), 0);
        // IPO: h′ = 1/4 − (−0.5)/5 = 0.35; target 1/(2·0.1) = 5; loss = (0.35 − 5)² = 21.6225.
        assertEquals(21.6225, one(LossType.IPO).evaluate(PAIR).loss(), 1e-9);
        assertEquals((0.9 * softplus(-h) - 0.1 * softplus(h)) / 0.8, one(LossType.ROBUST).evaluate(PAIR).loss(), 1e-12);
        // EXO, ε = 0.1: q = σ(0.15); q(log q − log 0.9) + (1−q)(log(1−q) − log 0.1).
        assertEquals(0.431388457, one(LossType.EXO_PAIR).evaluate(PAIR).loss(), 1e-9);
        // NCA: −log σ(0.1) − ½ log σ(−0.1) − ½ log σ(0.05).
        assertEquals(1.350824814, one(LossType.NCA_PAIR).evaluate(PAIR).loss(), 1e-9);
        // BCO pair: −log σ(0.1) − log σ(0.05).
        assertEquals(1.312856308, one(LossType.BCO_PAIR).evaluate(PAIR).loss(), 1e-9);
        // SPPO hard: (1 − 5)² + (−0.5 + 5)² = 16 + 20.25.
        assertEquals(36.25, one(LossType.SPPO_HARD).evaluate(PAIR).loss(), 1e-9);
        // APO-zero: 1 − σ(0.1) + σ(−0.05); APO-down: σ(0.1) + 1 − σ(0.15).
        assertEquals(0.962523416, one(LossType.APO_ZERO).evaluate(PAIR).loss(), 1e-9);
        assertEquals(0.987549342, one(LossType.APO_DOWN).evaluate(PAIR).loss(), 1e-9);
        // DiscoPOP, τ = 0.05: m = σ(0.15/0.05) = σ(3); softplus(−0.15)(1 − m) + e^−0.15·m.
        assertEquals(0.849337579, one(LossType.DISCOPOP).evaluate(PAIR).loss(), 1e-9);
        // SFT: −(−10)/4.
        assertEquals(2.5, one(LossType.SFT).evaluate(PAIR).loss(), 1e-12);
        // sigmoid_norm: −log σ(0.1·(1/4 + 0.5/5)) = −log σ(0.035).
        assertEquals(0.675800298, one(LossType.SIGMOID_NORM).evaluate(PAIR).loss(), 1e-9);
        // SimPO, β = 2, γ = 0.5: z = 2·(−10/4) − 2·(−12/5) − 0.5 = −0.7.
        var simpo = new DpoLoss(LossType.SIMPO, 2, 0, 0.5, 0).evaluate(PAIR);
        assertEquals(softplus(0.7), simpo.loss(), 1e-12);
        assertEquals(-5, simpo.rewardChosen(), 1e-12);
        // CPO, α = 1: −log σ(0.1·2) + 2.5; rewards β·π.
        var cpo = one(LossType.CPO).evaluate(PAIR);
        assertEquals(3.098138869, cpo.loss(), 1e-9);
        assertEquals(-1.0, cpo.rewardChosen(), 1e-12);
        // ORPO, λ = β = 0.1: p̄c = −2.5, p̄r = −2.4; 2.5 − 0.1·log σ(log odds(c) − log odds(r)).
        var orpo = one(LossType.ORPO).evaluate(PAIR);
        assertEquals(2.574936857, orpo.loss(), 1e-9);
        assertEquals(-0.25, orpo.rewardChosen(), 1e-12);
        // RPO adds α·(−πc/|c|) = 0.5·2.5 to DPO.
        var rpo = new DpoLoss(LossType.SIGMOID, 0.1, 0, 0, 0.5).evaluate(PAIR);
        assertEquals(softplus(-h) + 1.25, rpo.loss(), 1e-12);
        assertEquals(1.25, rpo.terms().get("rpo") * 0.5, 1e-12);
    }

    /**
     * DiscoPOP with TRL's default τ = 0.05 rises from z = 0: dL/dz = −σ(0)(1−m) + (e⁰ − log 2)·m′ − e⁰·m with m = ½ and
     * m′ = ¼/τ = 5, that is −¼ + 5(1 − log 2) − ½ = 0.784 > 0; a run that starts at the reference (z = 0) is pushed to
     * negative margins until the local minimum near z ≈ −0.1. With τ = 1 the slope at 0 is negative.
     */
    @Test
    void discopopSlopeAtTheReference() {
        DpoLoss.Pair atRef = new DpoLoss.Pair(-10, -12, -10, -12, 4, 5);
        double slope = -0.25 + 5 * (1 - Math.log(2)) - 0.5;
        assertEquals(0.1 * slope, one(LossType.DISCOPOP).evaluate(atRef).dPolicyChosen(), 1e-12);
        DpoLoss tau1 = new DpoLoss(List.of(new DpoLoss.Term(LossType.DISCOPOP, 1)), 0.1, 0, 0, 0, FDivergence.REVERSE_KL, 0.5, 1, 1, 1, 1);
        assertEquals(0.1 * (-0.25 + 0.25 * (1 - Math.log(2)) - 0.5), tau1.evaluate(atRef).dPolicyChosen(), 1e-12);
    }

    @Test
    void fDivergencesByHand() {
        DpoLoss dpo = DpoLoss.dpo();
        // forward KL: s = −e^−u: Δ = −e^−1 + e^0.5.
        assertEquals(0.631154384, dpo.withDivergence(FDivergence.FORWARD_KL, 0.5).evaluate(PAIR).loss(), 1e-9);
        // JS: s = log σ(u): Δ = log σ(1) − log σ(−0.5).
        assertEquals(0.660652163, dpo.withDivergence(FDivergence.JS_DIVERGENCE, 0.5).evaluate(PAIR).loss(), 1e-9);
        // α = 0.5: s = e^(−0.5u)/(−0.5).
        assertEquals(0.627690947, dpo.withDivergence(FDivergence.ALPHA_DIVERGENCE, 0.5).evaluate(PAIR).loss(), 1e-9);
        assertEquals(dpo.evaluate(PAIR).loss(), dpo.withDivergence(FDivergence.ALPHA_DIVERGENCE, 1).evaluate(PAIR).loss(), 1e-12,
                "α = 1 is reverse KL");
        assertEquals(FDivergence.JS_DIVERGENCE, FDivergence.parse("js"));
        assertEquals(FDivergence.ALPHA_DIVERGENCE, FDivergence.parse("alpha"));
    }

    @Test
    void aotSortsTheBatch() {
        // aot: policy gaps {2, −1} sorted (−1: OTHER, 2: PAIR), reference gaps {0.5, 1} sorted (0.5: PAIR, 1: OTHER):
        // δ = {−1 − 0.5, 2 − 1} = {−1.5, 1}.
        List<DpoLoss.Result> aot = one(LossType.AOT).evaluate(List.of(PAIR, OTHER));
        assertEquals(softplus(0.15), aot.get(0).loss(), 1e-12);
        assertEquals(softplus(-0.1), aot.get(1).loss(), 1e-12);
        // aot_unpaired: uc {1, 0.5} sorted (0.5: OTHER, 1: PAIR), ur {−0.5, 2.5} sorted: δ = {0.5 + 0.5, 1 − 2.5}.
        List<DpoLoss.Result> unpaired = one(LossType.AOT_UNPAIRED).evaluate(List.of(PAIR, OTHER));
        assertEquals(softplus(-0.1), unpaired.get(0).loss(), 1e-12);
        assertEquals(softplus(0.15), unpaired.get(1).loss(), 1e-12);
        // Slot 0 (δ = 1) holds OTHER's uc and PAIR's ur: OTHER's chosen and PAIR's rejected get its gradient.
        double g0 = -0.1 * sig(-0.1), g1 = -0.1 * sig(0.15);
        assertEquals(g1, unpaired.get(0).dPolicyChosen(), 1e-12);
        assertEquals(-g0, unpaired.get(0).dPolicyRejected(), 1e-12);
        assertEquals(g0, unpaired.get(1).dPolicyChosen(), 1e-12);
        assertEquals(-g1, unpaired.get(1).dPolicyRejected(), 1e-12);
    }

    /** Every loss (under every f-divergence where it reads scores), its gradient by each sum against central differences. */
    @Test
    void everyGradientMatchesCentralDifferences() {
        List<DpoLoss> losses = new ArrayList<>();
        for (LossType t : LossType.values()) {
            if (t == LossType.KTO) continue;
            for (FDivergence f : FDivergence.values()) losses.add(one(t).withDivergence(f, 0.5));
        }
        losses.add(new DpoLoss(LossType.CDPO, 0.3, 0.2, 0, 0.1));
        losses.add(new DpoLoss(LossType.SIMPO, 2, 0.05, 0.5, 0.3));
        losses.add(new DpoLoss(LossType.HINGE, 0.1, 0, 0, 0).withDivergence(FDivergence.ALPHA_DIVERGENCE, 0.3));
        // Sums with LD-DPO's effect (sft ≠ πc) and WPO weights.
        // ... and unlikelihood sums U of the rejected completions.
        DpoLoss.Pair a = new DpoLoss.Pair(-10, -12, -11, -11.5, 4, 5, -10.7, 0.6, 2.5);
        DpoLoss.Pair b = new DpoLoss.Pair(-8, -7, -8.5, -9.5, 3, 2, -8.2, 0.9, 0.4);
        losses.add(new DpoLoss(List.of(new DpoLoss.Term(LossType.UNLIKELIHOOD, 0.7), new DpoLoss.Term(LossType.SIGMOID, 1)),
                0.1, 0, 0, 0, FDivergence.REVERSE_KL, 0.5, 0.05, 1, 1, 1, 0.3));
        double e = 1e-6;
        for (DpoLoss l : losses) {
            List<DpoLoss.Result> r = l.evaluate(List.of(a, b));
            for (int i = 0; i < 2; i++) {
                for (int k = 0; k < 4; k++) {
                    int pair = i, which = k;
                    DoubleUnaryOperator f = x -> total(l, shift(a, pair == 0, which, x), shift(b, pair == 1, which, x));
                    double numeric = (f.applyAsDouble(e) - f.applyAsDouble(-e)) / (2 * e);
                    double analytic = which == 0 ? r.get(i).dPolicyChosen() : which == 1 ? r.get(i).dPolicyRejected()
                            : which == 2 ? r.get(i).dSftChosen() : r.get(i).dUnlikelihood();
                    assertEquals(numeric, analytic, 1e-6 * Math.max(1, Math.abs(numeric)),
                            l.describe() + " " + l.divergence() + " pair " + i + " d/d" + new String[]{"πc", "πr", "sft", "U"}[k]);
                }
            }
        }
    }

    private static double total(DpoLoss l, DpoLoss.Pair a, DpoLoss.Pair b) {
        return l.evaluate(List.of(a, b)).stream().mapToDouble(DpoLoss.Result::loss).sum();
    }

    private static DpoLoss.Pair shift(DpoLoss.Pair p, boolean on, int which, double x) {
        if (!on) return p;
        return new DpoLoss.Pair(p.policyChosen() + (which == 0 ? x : 0), p.policyRejected() + (which == 1 ? x : 0), p.refChosen(),
                p.refRejected(), p.chosenTokens(), p.rejectedTokens(), p.sftChosen() + (which == 2 ? x : 0), p.weight(),
                p.rejectedUnlikelihood() + (which == 3 ? x : 0));
    }

    /**
     * Unlikelihood: −(sum of chosen log-probs)/|c| + α·U/|r| with U = −Σ log(1 − p_t), each part
     * logged on its own; the per-token cost and slope against values worked out by hand, and the
     * clamp as p → 1.
     */
    @Test
    void unlikelihoodByHand() {
        // sft = −10.7 over |c| = 4 tokens: 2.675; U = 2.5 over |r| = 5 tokens: 0.5.
        DpoLoss.Pair p = new DpoLoss.Pair(-10, -12, -11, -11.5, 4, 5, -10.7, 1, 2.5);
        DpoLoss ul = new DpoLoss(List.of(new DpoLoss.Term(LossType.UNLIKELIHOOD, 1)), 0.1, 0, 0, 0, FDivergence.REVERSE_KL,
                0.5, 0.05, 1, 1, 1, 0.5);
        var r = ul.evaluate(p);
        assertEquals(2.675 + 0.5 * 0.5, r.loss(), 1e-12);
        assertEquals(2.675, r.terms().get("unlikelihood/chosen_nll"), 1e-12);
        assertEquals(0.5, r.terms().get("unlikelihood/rejected_ul"), 1e-12);
        assertEquals(2.925, r.terms().get("unlikelihood"), 1e-12);
        assertEquals(-0.25, r.dSftChosen(), 1e-12);
        assertEquals(0.5 / 5, r.dUnlikelihood(), 1e-12);
        assertEquals(0, r.dPolicyChosen(), 0);
        assertEquals(0, r.dPolicyRejected(), 0);
        assertTrue(ul.referenceFree(), "unlikelihood reads no reference");
        // Rewards as for the other reference-free losses: β·π/|y|.
        assertEquals(0.1 * -10 / 4, r.rewardChosen(), 1e-12);

        // Per token: p = 0.5 costs log 2 = 0.693147 with slope 1; p = 0.9 costs log 10 = 2.302585 with slope 9;
        // p = 0.2 costs log 1.25 = 0.223144 with slope 0.25.
        float[] lp = {(float) Math.log(0.5), (float) Math.log(0.9), (float) Math.log(0.2)};
        assertEquals(0.693147 + 2.302585 + 0.223144, Unlikelihood.sum(lp, 0, 3), 1e-5);
        assertEquals(0.693147, Unlikelihood.sum(lp, 0, 1), 1e-6);
        assertEquals(1, Unlikelihood.slope(lp[0]), 1e-6);
        assertEquals(9, Unlikelihood.slope(lp[1]), 1e-4);
        assertEquals(0.25, Unlikelihood.slope(lp[2]), 1e-6);
        // p within 1e-5 of 1 (here 1 − 6e-8): 1 − p is clamped at 1e-5, cost log 1e5 = 11.512925, no slope.
        float nearOne = -6e-8f;
        assertEquals(11.512925, Unlikelihood.sum(new float[]{nearOne}, 0, 1), 1e-5);
        assertEquals(0, Unlikelihood.slope(nearOne), 0);
        assertEquals(11.512925, Unlikelihood.sum(new float[]{0f}, 0, 1), 1e-5, "p = 1 exactly stays finite");
        assertEquals(0, Unlikelihood.slope(0f), 0);
        // Just outside the clamp the slope is p/(1 − p) ≈ 1/(2e-5).
        float outside = (float) Math.log1p(-2e-5);
        assertEquals(1 / 2e-5, Unlikelihood.slope(outside), 0.01 / 2e-5);
    }

    @Test
    void aCombinationIsTheWeightedSumOfItsTermsAndLogsEach() {
        // MPO: sigmoid 0.8 + bco_pair 0.2 + sft 1.0.
        DpoLoss mpo = DpoLoss.dpo().withTerms(List.of(new DpoLoss.Term(LossType.SIGMOID, 0.8),
                new DpoLoss.Term(LossType.BCO_PAIR, 0.2), new DpoLoss.Term(LossType.SFT, 1.0)));
        DpoLoss.Pair weighted = new DpoLoss.Pair(-10, -12, -11, -11.5, 4, 5, -10.7, 0.6);
        assertEquals(0.6 * one(LossType.SIGMOID).evaluate(PAIR).loss(), one(LossType.SIGMOID).evaluate(weighted).loss(), 1e-12,
                "WPO multiplies a pair's loss by its weight");
        for (DpoLoss.Pair p : new DpoLoss.Pair[]{PAIR, OTHER, weighted}) {
            var r = mpo.evaluate(p);
            double sig = one(LossType.SIGMOID).evaluate(p).loss(), bco = one(LossType.BCO_PAIR).evaluate(p).loss(),
                    sft = one(LossType.SFT).evaluate(p).loss();
            // Each single-term loss already carries the pair's WPO weight.
            assertEquals(0.8 * sig + 0.2 * bco + sft, r.loss(), 1e-12);
            assertEquals(sig, r.terms().get("sigmoid"), 1e-12);
            assertEquals(bco, r.terms().get("bco_pair"), 1e-12);
            assertEquals(sft, r.terms().get("sft"), 1e-12);
            assertEquals(0.8 * r.terms().get("sigmoid") + 0.2 * r.terms().get("bco_pair") + r.terms().get("sft"), r.loss(), 1e-12);
        }
        assertEquals("sigmoid*0.8+bco_pair*0.2+sft", mpo.describe());
        // The same with batch-coupled AOT: the batch total is the weighted sum of the terms' batch totals.
        DpoLoss mix = DpoLoss.dpo().withTerms(List.of(new DpoLoss.Term(LossType.AOT, 0.5), new DpoLoss.Term(LossType.IPO, 0.25)));
        List<DpoLoss.Result> r = mix.evaluate(List.of(PAIR, OTHER));
        double aot = one(LossType.AOT).evaluate(List.of(PAIR, OTHER)).stream().mapToDouble(DpoLoss.Result::loss).sum();
        double ipo = one(LossType.IPO).evaluate(PAIR).loss() + one(LossType.IPO).evaluate(OTHER).loss();
        assertEquals(0.5 * aot + 0.25 * ipo, r.get(0).loss() + r.get(1).loss(), 1e-12);
    }

    @Test
    void ktoByHandAndItsGradient() {
        DpoLoss kto = new DpoLoss(List.of(new DpoLoss.Term(LossType.KTO, 1)), 0.1, 0, 0, 0, FDivergence.REVERSE_KL, 0.5, 0.05, 1, 1, 2);
        // z0 = max(0, mean(0.4, 0.2)) = 0.3; desirable u = 1: 1 − σ(0.1·0.7); undesirable u = −0.5: 2·(1 − σ(0.1·0.8)).
        List<DpoLoss.Unpaired> batch = List.of(new DpoLoss.Unpaired(-10, -11, -20, -20.4, 4, true),
                new DpoLoss.Unpaired(-12, -11.5, -15, -15.2, 5, false));
        DpoLoss.KtoBatch r = kto.evaluateKto(batch);
        assertEquals(0.3, r.kl(), 1e-12);
        assertEquals(1 - sig(0.07), r.results().get(0).loss(), 1e-12);
        assertEquals(2 * (1 - sig(0.08)), r.results().get(1).loss(), 1e-12);
        assertEquals(0.1, r.results().get(0).rewardChosen(), 1e-12);
        double e = 1e-6;
        for (int i = 0; i < 2; i++) {
            int k = i;
            DoubleUnaryOperator f = x -> {
                List<DpoLoss.Unpaired> b = new ArrayList<>(batch);
                DpoLoss.Unpaired u = b.get(k);
                b.set(k, new DpoLoss.Unpaired(u.policy() + x, u.ref(), u.policyKl(), u.refKl(), u.tokens(), u.desirable()));
                return kto.evaluateKto(b).results().stream().mapToDouble(DpoLoss.Result::loss).sum();
            };
            assertEquals((f.applyAsDouble(e) - f.applyAsDouble(-e)) / (2 * e), r.results().get(i).dPolicyChosen(), 1e-8);
        }
        // A negative KL estimate is clamped to 0.
        assertEquals(0, kto.evaluateKto(List.of(new DpoLoss.Unpaired(-10, -11, -20, -19, 4, true))).kl(), 0);
        assertThrows(IllegalArgumentException.class, () -> kto.withTerms(List.of(new DpoLoss.Term(LossType.KTO, 1),
                new DpoLoss.Term(LossType.SFT, 1))), "kto combines with nothing");
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
        var smoothed = assertThrows(IllegalArgumentException.class, () -> new DpoLoss(LossType.SIGMOID, 0.1, 0.1, 0, 0));
        assertTrue(smoothed.getMessage().contains("cdpo"), smoothed.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DpoLoss(LossType.EXO_PAIR, 0.1, 0, 0, 0), "EXO needs ε > 0");
        assertThrows(IllegalArgumentException.class, () -> LossType.parse("dpo"));
        assertEquals(LossType.IPO, LossType.parse("ipo"));
        assertEquals(LossType.AOT_UNPAIRED, LossType.parse("aot_unpaired"));
        assertTrue(new DpoLoss(LossType.ORPO, 0.1, 0, 0, 0).referenceFree());
        assertFalse(DpoLoss.dpo().withTerms(List.of(new DpoLoss.Term(LossType.SIGMOID, 1), new DpoLoss.Term(LossType.SFT, 1))).referenceFree());
    }
}
