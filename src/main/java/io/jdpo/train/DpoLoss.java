package io.jdpo.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The preference loss of a micro-batch of pairs, a weighted sum of terms, and its gradient
 * with respect to each pair's summed policy log-probabilities, which is all the backward pass
 * needs from it. Per pair: πc, πr the policy's sums, rc, rr the reference's, |c|, |r| the
 * completion lengths, uc = πc − rc and ur = πr − rr the log-ratios, sc = f(uc) and sr = f(ur)
 * their scores under the f-divergence ({@link FDivergence}; reverse KL: s = u), Δ = sc − sr.
 * Each term, as TRL 1.9's {@code DPOTrainer._compute_loss} defines it unless noted:
 * <ul>
 * <li>sigmoid (DPO): −log σ(βΔ). TRL 1.x dropped label smoothing from it, so does jdpo: ε>0 is refused here</li>
 * <li>cdpo (jdpo's name; Mitchell's note, TRL ≤ 0.x's smoothed sigmoid): −(1−ε)·log σ(βΔ) − ε·log σ(−βΔ)</li>
 * <li>hinge (SLiC): max(0, 1 − βΔ)</li>
 * <li>ipo: (sc/|c| − sr/|r| − 1/(2β))². The paper writes sums; TRL (with the IPO authors) averages per token, so does jdpo</li>
 * <li>exo_pair (EXO eq. 16): q·(log q − log(1−ε)) + (1−q)·(log(1−q) − log ε), q = σ(βΔ); needs ε > 0 (paper: 1e-3)</li>
 * <li>nca_pair: −log σ(βsc) − ½·log σ(−βsc) − ½·log σ(−βsr)</li>
 * <li>robust: (−(1−ε)·log σ(βΔ) + ε·log σ(−βΔ)) / (1 − 2ε)</li>
 * <li>bco_pair: −log σ(βsc) − log σ(−βsr). The BCO paper and TRL 0.x shift both rewards by a
 * running mean δ of past rewards; TRL 1.x dropped δ, and so does jdpo (the loss keeps no state)</li>
 * <li>sppo_hard: (sc − 1/(2β))² + (sr + 1/(2β))²</li>
 * <li>aot: the batch's policy gaps πc−πr and reference gaps rc−rr, each sorted; slot k's loss is
 * −(1−ε)·log σ(βδk) − ε·log σ(−βδk), δk = sorted policy gap k − sorted reference gap k</li>
 * <li>aot_unpaired: as aot with δk = sorted uc (k) − sorted ur (k)</li>
 * <li>apo_zero: 1 − σ(β·uc) + σ(β·ur)   (raw log-ratios, no f-divergence)</li>
 * <li>apo_down: σ(β·uc) + 1 − σ(βΔ)</li>
 * <li>discopop (τ = 0.05): with z = βΔ and m = σ(z/τ): −log σ(z)·(1−m) + e^(−z)·m</li>
 * <li>sft: −πc/|c|, the chosen completion's mean NLL. TRL averages over all chosen tokens of the
 * batch (a long completion weighs more); jdpo averages each pair's and then the pairs, as its
 * RPO term always did</li>
 * <li>sigmoid_norm: −log σ(β·(sc/|c| − sr/|r|))</li>
 * <li>simpo (reference-free; TRL's CPOTrainer with loss_type simpo): −(1−ε)·log σ(z) − ε·log σ(−z),
 * z = β·πc/|c| − β·πr/|r| − γ</li>
 * <li>cpo (reference-free, CPO eq. 3 + behaviour cloning): −(1−ε)·log σ(z) − ε·log σ(−z) + α_cpo·(−πc/|c|),
 * z = β·(πc − πr)</li>
 * <li>orpo (reference-free, ORPO eq. 6–7; λ is β as in TRL): −πc/|c| − β·log σ(log odds(c) − log odds(r)),
 * log odds(y) = p̄ − log(1 − e^p̄), p̄ = π/|y|</li>
 * <li>unlikelihood (reference-free; Welleck et al. 2019, the DPO paper's baseline): −πc/|c| + α_ul·U/|r|,
 * U = −Σ_t log(1 − p(r_t)) over the rejected completion's tokens ({@link Unlikelihood}; both parts
 * are per-token means, as Welleck et al.'s code normalises both by the token count). Its gradient by
 * each rejected token's log-prob is α_ul/|r|·p_t/(1 − p_t), which the trainer applies token by token
 * through {@link Result#dUnlikelihood()}</li>
 * </ul>
 * The batch's loss is Σ_k w_k · mean over its pairs of term k; with WPO weighting each pair's
 * terms are first multiplied by its weight w = wc·wr (detached). With LD-DPO the sums π and r
 * given here are already the down-weighted ones; the SFT terms read {@link Pair#sftChosen()},
 * the plain sum. When {@code rpoAlpha > 0}, the RPO term α·(−πc/|c|) is added (equivalent to a
 * weighted sft term). KTO is unpaired and evaluated by {@link #evaluateKto}.
 *
 * <p>All log-probabilities are natural logs (nats); sums are over a completion's tokens. A loss
 * is immutable and keeps no state between batches, so one instance may serve several threads.
 * {@link TrainConfig#dpoLoss()} builds it from a run's settings.
 *
 * @param terms the losses and their weights, each loss at most once (KTO alone); copied
 * @param beta β, the inverse temperature of the implicit reward (the DPO paper's β; > 0)
 * @param labelSmoothing ε in [0, 0.5): the assumed label-noise rate of cdpo, robust,
 *        aot, aot_unpaired, simpo and cpo, the target of exo_pair (> 0 there); 0 for sigmoid
 * @param simpoGamma SimPO's target reward margin γ (reward units: β × nats per token)
 * @param rpoAlpha weight of the RPO term α·(−πc/|c|), ≥ 0 (0 = none)
 * @param divergence the f-divergence that maps log-ratios to scores ({@link FDivergence})
 * @param fAlpha α of {@link FDivergence#ALPHA_DIVERGENCE}; unused by the others
 * @param discopopTau DiscoPOP's temperature τ, > 0
 * @param cpoAlpha weight of CPO's behaviour-cloning (SFT) term, ≥ 0
 * @param desirableWeight KTO's λ_D, the weight of desirable examples, ≥ 0
 * @param undesirableWeight KTO's λ_U, the weight of undesirable examples, ≥ 0
 * @param ulAlpha unlikelihood's α_ul, the weight of the rejected completion's per-token
 *        unlikelihood; finite, ≥ 0
 */
public record DpoLoss(List<Term> terms, double beta, double labelSmoothing, double simpoGamma, double rpoAlpha,
                      FDivergence divergence, double fAlpha, double discopopTau, double cpoAlpha,
                      double desirableWeight, double undesirableWeight, double ulAlpha) {

    /**
     * One loss of a combination and its weight ({@link DpoLoss} checks the weight).
     *
     * @param type the loss
     * @param weight its factor in the batch loss; finite, ≥ 0
     */
    public record Term(LossType type, double weight) {
        @Override
        public String toString() {
            return type.optionName() + (weight == 1 ? "" : "*" + weight);
        }
    }

    /**
     * Checks the settings and copies the terms.
     *
     * @throws IllegalArgumentException if there is no term, a loss is given twice or with a
     *         negative or non-finite weight, KTO is combined with another loss, a setting is out
     *         of the range given above, sigmoid has label smoothing, or exo_pair has none
     */
    public DpoLoss {
        if (terms.isEmpty()) throw new IllegalArgumentException("no loss given");
        terms = List.copyOf(terms);
        if (!(beta > 0)) throw new IllegalArgumentException("beta must be positive, got " + beta);
        if (labelSmoothing < 0 || labelSmoothing >= 0.5) {
            throw new IllegalArgumentException("label smoothing must lie in [0, 0.5), got " + labelSmoothing);
        }
        if (rpoAlpha < 0) throw new IllegalArgumentException("rpo alpha must be >= 0, got " + rpoAlpha);
        if (!(discopopTau > 0)) throw new IllegalArgumentException("discopop tau must be positive, got " + discopopTau);
        if (cpoAlpha < 0) throw new IllegalArgumentException("cpo alpha must be >= 0, got " + cpoAlpha);
        if (desirableWeight < 0 || undesirableWeight < 0) throw new IllegalArgumentException("KTO weights must be >= 0");
        if (!(ulAlpha >= 0) || Double.isInfinite(ulAlpha)) throw new IllegalArgumentException("unlikelihood alpha must be finite and >= 0, got " + ulAlpha);
        java.util.Set<LossType> seen = java.util.EnumSet.noneOf(LossType.class);
        for (Term t : terms) {
            if (!seen.add(t.type())) throw new IllegalArgumentException("loss " + t.type().optionName() + " given twice");
            if (!Double.isFinite(t.weight()) || t.weight() < 0) {
                throw new IllegalArgumentException("loss weight of " + t.type().optionName() + " must be finite and >= 0, got " + t.weight());
            }
            switch (t.type()) {
                case SIGMOID -> {
                    if (labelSmoothing > 0) {
                        throw new IllegalArgumentException("sigmoid takes no label smoothing (as in TRL 1.x); cdpo is DPO with label smoothing");
                    }
                }
                case EXO_PAIR -> {
                    if (labelSmoothing <= 0) throw new IllegalArgumentException("exo_pair needs label smoothing ε > 0 (the EXO paper uses 1e-3)");
                }
                case KTO -> {
                    if (terms.size() > 1) throw new IllegalArgumentException("kto is unpaired and combines with no other loss");
                }
                default -> { }
            }
        }
    }

    /**
     * Every setting but the unlikelihood weight, which is 1.
     *
     * @param terms the losses and their weights
     * @param beta β, > 0
     * @param labelSmoothing ε in [0, 0.5)
     * @param simpoGamma SimPO's target margin γ
     * @param rpoAlpha weight of the RPO term (0 = none)
     * @param divergence the f-divergence of the DPO-family scores
     * @param fAlpha α of the alpha divergence
     * @param discopopTau DiscoPOP's τ, > 0
     * @param cpoAlpha weight of CPO's SFT term
     * @param desirableWeight KTO's λ_D
     * @param undesirableWeight KTO's λ_U
     * @throws IllegalArgumentException as the canonical constructor
     */
    public DpoLoss(List<Term> terms, double beta, double labelSmoothing, double simpoGamma, double rpoAlpha,
                   FDivergence divergence, double fAlpha, double discopopTau, double cpoAlpha,
                   double desirableWeight, double undesirableWeight) {
        this(terms, beta, labelSmoothing, simpoGamma, rpoAlpha, divergence, fAlpha, discopopTau, cpoAlpha, desirableWeight, undesirableWeight, 1);
    }

    /**
     * One loss with the usual settings of everything else: reverse KL, DiscoPOP τ = 0.05, CPO,
     * KTO and unlikelihood weights 1.
     *
     * @param type the loss
     * @param beta β, > 0
     * @param labelSmoothing ε in [0, 0.5)
     * @param simpoGamma SimPO's target margin γ
     * @param rpoAlpha weight of the RPO term, ≥ 0 (0 = none)
     * @throws IllegalArgumentException as the canonical constructor
     */
    public DpoLoss(LossType type, double beta, double labelSmoothing, double simpoGamma, double rpoAlpha) {
        this(List.of(new Term(type, 1)), beta, labelSmoothing, simpoGamma, rpoAlpha, FDivergence.REVERSE_KL, 0.5, 0.05, 1, 1, 1, 1);
    }

    /** {@return plain DPO (sigmoid) with the paper's β = 0.1 and nothing else} */
    public static DpoLoss dpo() {
        return new DpoLoss(LossType.SIGMOID, 0.1, 0, 0, 0);
    }

    /**
     * {@return the same loss under another f-divergence}
     *
     * @param f the divergence
     * @param alpha its α (read by {@link FDivergence#ALPHA_DIVERGENCE} only)
     */
    public DpoLoss withDivergence(FDivergence f, double alpha) {
        return new DpoLoss(terms, beta, labelSmoothing, simpoGamma, rpoAlpha, f, alpha, discopopTau, cpoAlpha, desirableWeight, undesirableWeight, ulAlpha);
    }

    /**
     * {@return this loss with other terms, the settings unchanged}
     *
     * @param t the new terms and weights
     * @throws IllegalArgumentException if the terms are refused as by the canonical constructor
     */
    public DpoLoss withTerms(List<Term> t) {
        return new DpoLoss(t, beta, labelSmoothing, simpoGamma, rpoAlpha, divergence, fAlpha, discopopTau, cpoAlpha, desirableWeight, undesirableWeight, ulAlpha);
    }

    /** {@return true when no term reads the reference: the run needs no reference scoring} */
    public boolean referenceFree() {
        return terms.stream().allMatch(t -> t.type().referenceFree());
    }

    /** {@return true when a pair's loss depends on the rest of its micro-batch (AOT, KTO)} */
    public boolean batchCoupled() {
        return terms.stream().anyMatch(t -> t.type().batchCoupled());
    }

    /** {@return true when a term reads the rejected completion's unlikelihood sum ({@link Pair#rejectedUnlikelihood()})} */
    public boolean readsUnlikelihood() {
        return terms.stream().anyMatch(t -> t.type() == LossType.UNLIKELIHOOD);
    }

    /** {@return true for KTO, which trains on unpaired examples ({@link #evaluateKto}) and combines with no other loss} */
    public boolean kto() {
        return terms.getFirst().type() == LossType.KTO;
    }

    /**
     * {@return the combination's name as metadata and reports write it} TRL's loss names joined
     * by {@code +}, each weight other than 1 after a {@code *}: {@code sigmoid*0.8+bco_pair*0.2+sft}.
     */
    public String describe() {
        return terms.stream().map(Term::toString).collect(Collectors.joining("+"));
    }

    /**
     * One pair's sums under policy and reference (LD-DPO-weighted when that is on), its
     * completion lengths in tokens, the chosen completion's plain policy sum (the SFT terms'
     * input), its WPO weight (1 without weighting) and the rejected completion's unlikelihood
     * sum U = −Σ_t log(1 − p(r_t)) ({@link Unlikelihood#sum}; 0 when no term reads it).
     * Log-probs are in nats (sums ≤ 0).
     *
     * @param policyChosen πc, the policy's log-prob sum of the chosen completion
     * @param policyRejected πr, the policy's log-prob sum of the rejected completion
     * @param refChosen rc, the reference's sum of the chosen completion (0 when reference-free)
     * @param refRejected rr, the reference's sum of the rejected completion
     * @param chosenTokens |c|, the chosen completion's length in tokens, ≥ 1
     * @param rejectedTokens |r|, the rejected completion's length in tokens, ≥ 1
     * @param sftChosen the chosen completion's plain (not LD-weighted) policy sum
     * @param weight the pair's WPO weight w = wc·wr, a constant (1 without weighting)
     * @param rejectedUnlikelihood U of the rejected completion, ≥ 0 (0 when no term reads it)
     */
    public record Pair(double policyChosen, double policyRejected, double refChosen, double refRejected,
                       int chosenTokens, int rejectedTokens, double sftChosen, double weight, double rejectedUnlikelihood) {
        /**
         * Checks the lengths.
         *
         * @throws IllegalArgumentException if a completion has no token
         */
        public Pair {
            if (chosenTokens <= 0 || rejectedTokens <= 0) {
                throw new IllegalArgumentException("completions need at least one token");
            }
        }

        /**
         * A pair without an unlikelihood sum (no term reads it: U = 0).
         *
         * @param policyChosen πc, the policy's sum of the chosen completion
         * @param policyRejected πr, the policy's sum of the rejected completion
         * @param refChosen rc, the reference's sum of the chosen completion
         * @param refRejected rr, the reference's sum of the rejected completion
         * @param chosenTokens |c| in tokens, ≥ 1
         * @param rejectedTokens |r| in tokens, ≥ 1
         * @param sftChosen the chosen completion's plain policy sum
         * @param weight the pair's WPO weight (1 without weighting)
         * @throws IllegalArgumentException if a completion has no token
         */
        public Pair(double policyChosen, double policyRejected, double refChosen, double refRejected,
                    int chosenTokens, int rejectedTokens, double sftChosen, double weight) {
            this(policyChosen, policyRejected, refChosen, refRejected, chosenTokens, rejectedTokens, sftChosen, weight, 0);
        }

        /**
         * A pair without LD-DPO or WPO: the SFT sum is the chosen sum, the weight 1, U = 0.
         *
         * @param policyChosen πc, the policy's sum of the chosen completion
         * @param policyRejected πr, the policy's sum of the rejected completion
         * @param refChosen rc, the reference's sum of the chosen completion
         * @param refRejected rr, the reference's sum of the rejected completion
         * @param chosenTokens |c| in tokens, ≥ 1
         * @param rejectedTokens |r| in tokens, ≥ 1
         * @throws IllegalArgumentException if a completion has no token
         */
        public Pair(double policyChosen, double policyRejected, double refChosen, double refRejected, int chosenTokens, int rejectedTokens) {
            this(policyChosen, policyRejected, refChosen, refRejected, chosenTokens, rejectedTokens, policyChosen, 1);
        }
    }

    /**
     * A pair's share of the batch loss (the batch loss is the mean of these), its derivatives
     * by πc and πr (the LD-weighted sums) and by the plain chosen sum (SFT terms), the implicit
     * rewards and each term's (unweighted by its loss weight) value. Rewards are β·(π − r); with
     * no reference, β·π/|y| (SimPO, ORPO, SFT, unlikelihood) or β·π (CPO), as TRL logs them.
     * {@code dUnlikelihood} is dLoss/dU of the rejected completion's unlikelihood sum U (0 when no
     * term reads it): the trainer turns it into per-token gradients, dU/dlog p_t = p_t/(1 − p_t).
     *
     * @param loss the pair's loss: Σ_k w_k · (WPO weight) · term k, plus the RPO term
     * @param dPolicyChosen the derivative of the batch's summed loss by this pair's πc
     * @param dPolicyRejected the derivative of the batch's summed loss by this pair's πr
     * @param dSftChosen the derivative of the batch's summed loss by this pair's plain chosen
     *        sum (the SFT terms)
     * @param rewardChosen the chosen completion's implicit reward
     * @param rewardRejected the rejected completion's implicit reward (NaN in KTO's results)
     * @param terms each term's value by TRL's name, times the pair's WPO weight but not its loss
     *        weight, in the order given; unlikelihood adds {@code unlikelihood/chosen_nll} and
     *        {@code unlikelihood/rejected_ul}, an RPO term {@code rpo}; unmodifiable
     * @param dUnlikelihood the derivative of the batch's summed loss by this pair's U
     */
    public record Result(double loss, double dPolicyChosen, double dPolicyRejected, double dSftChosen, double rewardChosen,
                         double rewardRejected, Map<String, Double> terms, double dUnlikelihood) {
        /**
         * A result without an unlikelihood part ({@code dUnlikelihood} 0).
         *
         * @param loss the pair's loss
         * @param dPolicyChosen ∂loss/∂πc
         * @param dPolicyRejected ∂loss/∂πr
         * @param dSftChosen ∂loss/∂ of the plain chosen sum
         * @param rewardChosen the chosen completion's implicit reward
         * @param rewardRejected the rejected completion's implicit reward
         * @param terms each term's value by name
         */
        public Result(double loss, double dPolicyChosen, double dPolicyRejected, double dSftChosen, double rewardChosen,
                      double rewardRejected, Map<String, Double> terms) {
            this(loss, dPolicyChosen, dPolicyRejected, dSftChosen, rewardChosen, rewardRejected, terms, 0);
        }

        /** {@return the reward margin, rewardChosen − rewardRejected (TRL's rewards/margins)} */
        public double margin() {
            return rewardChosen - rewardRejected;
        }

        /** {@return whether the chosen reward exceeds the rejected one (TRL's rewards/accuracies; ties count as wrong)} */
        public boolean correct() {
            return rewardChosen > rewardRejected;
        }
    }

    /**
     * One pair as a batch of its own (a batch-coupled loss then sees only this pair).
     *
     * @param p the pair
     * @return its loss, gradients and rewards
     * @throws IllegalStateException if this is KTO (use {@link #evaluateKto})
     */
    public Result evaluate(Pair p) {
        return evaluate(List.of(p)).getFirst();
    }

    /**
     * Each pair's result; the gradients are those of the sum of the pairs' losses (divide by the
     * batch size for the mean's). With AOT a pair's gradient also comes from the slots its values
     * were sorted into, so it depends on the other pairs.
     *
     * @param batch the micro-batch's pairs
     * @return one result per pair, in the batch's order
     * @throws IllegalStateException if this is KTO (use {@link #evaluateKto})
     */
    public List<Result> evaluate(List<Pair> batch) {
        if (kto()) throw new IllegalStateException("kto is unpaired: use evaluateKto");
        int n = batch.size();
        double[] loss = new double[n], dc = new double[n], dr = new double[n], ds = new double[n], du = new double[n];
        List<Map<String, Double>> values = new ArrayList<>();
        for (int i = 0; i < n; i++) values.add(new LinkedHashMap<>());
        for (Term t : terms) {
            double[] l = new double[n], gc = new double[n], gr = new double[n], gs = new double[n], gu = new double[n];
            boolean sorted = t.type() == LossType.AOT || t.type() == LossType.AOT_UNPAIRED;
            if (sorted) {
                aot(t.type() == LossType.AOT, batch, l, gc, gr);
            } else {
                for (int i = 0; i < n; i++) {
                    double[] r = single(t.type(), batch.get(i));
                    l[i] = r[0];
                    gc[i] = r[1];
                    gr[i] = r[2];
                    gs[i] = r[3];
                    gu[i] = r.length > 4 ? r[4] : 0;
                }
            }
            for (int i = 0; i < n; i++) {
                // AOT's slots are not pairs, so no pair weight applies to them (TRL refuses WPO with AOT; so does TrainConfig).
                double w = sorted ? 1 : batch.get(i).weight();
                values.get(i).put(t.type().optionName(), w * l[i]);
                if (t.type() == LossType.UNLIKELIHOOD) {
                    // Each part on its own, so the log shows which one moves.
                    Pair p = batch.get(i);
                    values.get(i).put("unlikelihood/chosen_nll", w * -p.sftChosen() / p.chosenTokens());
                    values.get(i).put("unlikelihood/rejected_ul", w * p.rejectedUnlikelihood() / p.rejectedTokens());
                }
                loss[i] += t.weight() * w * l[i];
                dc[i] += t.weight() * w * gc[i];
                dr[i] += t.weight() * w * gr[i];
                ds[i] += t.weight() * w * gs[i];
                du[i] += t.weight() * w * gu[i];
            }
        }
        List<Result> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Pair p = batch.get(i);
            if (rpoAlpha > 0) {
                double rpo = -p.sftChosen() / p.chosenTokens();
                values.get(i).put("rpo", rpo);
                loss[i] += rpoAlpha * rpo;
                ds[i] += -rpoAlpha / p.chosenTokens();
            }
            double[] rw = rewards(p);
            // In the order of the terms, so metrics list them as the user gave them.
            out.add(new Result(loss[i], dc[i], dr[i], ds[i], rw[0], rw[1], Collections.unmodifiableMap(values.get(i)), du[i]));
        }
        return out;
    }

    private double[] rewards(Pair p) {
        if (!referenceFree()) return new double[]{beta * (p.policyChosen() - p.refChosen()), beta * (p.policyRejected() - p.refRejected())};
        if (terms.getFirst().type() == LossType.CPO) return new double[]{beta * p.policyChosen(), beta * p.policyRejected()};
        return new double[]{beta * p.policyChosen() / p.chosenTokens(), beta * p.policyRejected() / p.rejectedTokens()};
    }

    /** {loss, ∂/∂πc, ∂/∂πr, ∂/∂sftChosen[, ∂/∂U]} of one term on one pair. */
    private double[] single(LossType type, Pair p) {
        double eps = labelSmoothing, b = beta;
        double uc = p.policyChosen() - p.refChosen(), ur = p.policyRejected() - p.refRejected();
        double sc = divergence.score(uc, fAlpha), sr = divergence.score(ur, fAlpha);
        double fc = divergence.slope(uc, fAlpha), fr = divergence.slope(ur, fAlpha);
        double delta = sc - sr, z = b * delta;
        int nc = p.chosenTokens(), nr = p.rejectedTokens();
        // Most terms are a function of Δ: their loss and dL/dΔ, chained through the scores below.
        double l, dDelta = 0, dc = 0, dr = 0, ds = 0;
        switch (type) {
            case SIGMOID -> {
                l = -logSigmoid(z);
                dDelta = -b * sigmoid(-z);
            }
            case CDPO -> {
                l = -(1 - eps) * logSigmoid(z) - eps * logSigmoid(-z);
                dDelta = b * (-(1 - eps) * sigmoid(-z) + eps * sigmoid(z));
            }
            case HINGE -> {
                l = Math.max(0, 1 - z);
                dDelta = z < 1 ? -b : 0;
            }
            case IPO -> {
                double a = sc / nc - sr / nr - 1 / (2 * b);
                l = a * a;
                dc = 2 * a * fc / nc;
                dr = -2 * a * fr / nr;
            }
            case EXO_PAIR -> {
                double q = sigmoid(z);
                l = q * (logSigmoid(z) - Math.log1p(-eps)) + sigmoid(-z) * (logSigmoid(-z) - Math.log(eps));
                // dL/dz = q(1−q)·(z − log((1−ε)/ε)): dL/dq = log q − log(1−q) − log(1−ε) + log ε, and log q − log(1−q) = z.
                dDelta = b * q * sigmoid(-z) * (z - Math.log1p(-eps) + Math.log(eps));
            }
            case NCA_PAIR -> {
                double a = b * sc, r = b * sr;
                l = -logSigmoid(a) - 0.5 * logSigmoid(-a) - 0.5 * logSigmoid(-r);
                dc = b * fc * (-sigmoid(-a) + 0.5 * sigmoid(a));
                dr = b * fr * 0.5 * sigmoid(r);
            }
            case ROBUST -> {
                l = (-(1 - eps) * logSigmoid(z) + eps * logSigmoid(-z)) / (1 - 2 * eps);
                dDelta = b * (-(1 - eps) * sigmoid(-z) - eps * sigmoid(z)) / (1 - 2 * eps);
            }
            case BCO_PAIR -> {
                double a = b * sc, r = b * sr;
                l = -logSigmoid(a) - logSigmoid(-r);
                dc = -b * fc * sigmoid(-a);
                dr = b * fr * sigmoid(r);
            }
            case SPPO_HARD -> {
                double a = sc - 0.5 / b, r = sr + 0.5 / b;
                l = a * a + r * r;
                dc = 2 * a * fc;
                dr = 2 * r * fr;
            }
            case APO_ZERO -> {
                l = 1 - sigmoid(b * uc) + sigmoid(b * ur);
                dc = -b * sigmoid(b * uc) * sigmoid(-b * uc);
                dr = b * sigmoid(b * ur) * sigmoid(-b * ur);
            }
            case APO_DOWN -> {
                l = sigmoid(b * uc) + 1 - sigmoid(z);
                dc = b * sigmoid(b * uc) * sigmoid(-b * uc);
                dDelta = -b * sigmoid(z) * sigmoid(-z);
            }
            case DISCOPOP -> {
                double tau = discopopTau, m = sigmoid(z / tau), dm = m * sigmoid(-z / tau) / tau;
                double logistic = -logSigmoid(z), exp = Math.exp(-z);
                l = logistic * (1 - m) + exp * m;
                dDelta = b * (-sigmoid(-z) * (1 - m) - logistic * dm - exp * m + exp * dm);
            }
            case SFT -> {
                l = -p.sftChosen() / nc;
                ds = -1.0 / nc;
            }
            case SIGMOID_NORM -> {
                double a = b * (sc / nc - sr / nr);
                l = -logSigmoid(a);
                dc = -b * sigmoid(-a) * fc / nc;
                dr = b * sigmoid(-a) * fr / nr;
            }
            case SIMPO -> {
                double s = b * p.policyChosen() / nc - b * p.policyRejected() / nr - simpoGamma;
                l = -(1 - eps) * logSigmoid(s) - eps * logSigmoid(-s);
                double d = -(1 - eps) * sigmoid(-s) + eps * sigmoid(s);
                return new double[]{l, d * b / nc, -d * b / nr, 0};
            }
            case CPO -> {
                double s = b * (p.policyChosen() - p.policyRejected());
                double d = -(1 - eps) * sigmoid(-s) + eps * sigmoid(s);
                l = -(1 - eps) * logSigmoid(s) - eps * logSigmoid(-s) - cpoAlpha * p.sftChosen() / nc;
                return new double[]{l, d * b, -d * b, -cpoAlpha / nc};
            }
            case ORPO -> {
                // p̄ < 0 strictly: a completion of probability 1 has infinite odds.
                double mc = Math.min(p.policyChosen() / nc, -1e-12), mr = Math.min(p.policyRejected() / nr, -1e-12);
                double odds = (mc - mr) - (log1mExp(mc) - log1mExp(mr));
                l = -p.sftChosen() / nc - b * logSigmoid(odds);
                // d log odds(y)/d p̄ = 1 + e^p̄/(1 − e^p̄) = 1/(1 − e^p̄) = −1/expm1(p̄).
                double dOdds = -b * sigmoid(-odds);
                return new double[]{l, dOdds * (-1 / Math.expm1(mc)) / nc, dOdds * (1 / Math.expm1(mr)) / nr, -1.0 / nc};
            }
            case UNLIKELIHOOD -> {
                l = -p.sftChosen() / nc + ulAlpha * p.rejectedUnlikelihood() / nr;
                return new double[]{l, 0, 0, -1.0 / nc, ulAlpha / nr};
            }
            default -> throw new AssertionError(type);
        }
        dc += dDelta * fc;
        dr += -dDelta * fr;
        return new double[]{l, dc, dr, ds};
    }

    /**
     * AOT over the batch: slot k pairs the k-th smallest of one sorted list with the k-th
     * smallest of the other; its loss is charged to pair k (as TRL's per-position mean) and its
     * gradient flows to the pairs whose values sit in slot k.
     */
    private void aot(boolean paired, List<Pair> batch, double[] l, double[] gc, double[] gr) {
        int n = batch.size();
        double[] a = new double[n], r = new double[n];
        for (int i = 0; i < n; i++) {
            Pair p = batch.get(i);
            if (paired) {
                a[i] = p.policyChosen() - p.policyRejected();
                r[i] = p.refChosen() - p.refRejected();
            } else {
                a[i] = p.policyChosen() - p.refChosen();
                r[i] = p.policyRejected() - p.refRejected();
            }
        }
        Integer[] ia = order(a), ir = order(r);
        double eps = labelSmoothing;
        for (int k = 0; k < n; k++) {
            double z = beta * (a[ia[k]] - r[ir[k]]);
            l[k] = -(1 - eps) * logSigmoid(z) - eps * logSigmoid(-z);
            double g = beta * (-(1 - eps) * sigmoid(-z) + eps * sigmoid(z));
            if (paired) {
                // a = πc − πr of pair ia[k]; the reference gaps are constants.
                gc[ia[k]] += g;
                gr[ia[k]] -= g;
            } else {
                gc[ia[k]] += g;
                gr[ir[k]] -= g;
            }
        }
    }

    /** Indices sorting v ascending (stable, so ties keep batch order and the run stays deterministic). */
    private static Integer[] order(double[] v) {
        Integer[] idx = new Integer[v.length];
        Arrays.setAll(idx, i -> i);
        Arrays.sort(idx, Comparator.comparingDouble(i -> v[i]));
        return idx;
    }

    /**
     * One unpaired KTO example: the policy's and reference's sums of its completion and of its
     * mismatched KL completion (another example's completion after this prompt), its length, and
     * whether it is desirable. Sums are in nats.
     *
     * @param policy π, the policy's log-prob sum of the completion
     * @param ref r, the reference's sum of the completion
     * @param policyKl the policy's sum of the KL completion
     * @param refKl the reference's sum of the KL completion
     * @param tokens the completion's length in tokens
     * @param desirable whether the completion is labelled desirable
     */
    public record Unpaired(double policy, double ref, double policyKl, double refKl, int tokens, boolean desirable) {
    }

    /**
     * A KTO batch's outcome.
     *
     * @param results each example's result, in the batch's order: its loss, ∂loss/∂π as
     *        {@code dPolicyChosen}, its reward β·u as {@code rewardChosen} (rewardRejected NaN)
     * @param kl the batch's KL reference point z0 ≥ 0, in nats
     */
    public record KtoBatch(List<Result> results, double kl) {
    }

    /**
     * KTO (Ethayarajh et al. 2024, eq. 8; TRL's KTOTrainer, loss_type kto): z0 = max(0, mean over
     * the batch of (π_KL − r_KL)), held constant (no gradient, as in the paper and TRL); a
     * desirable example costs λD·(1 − σ(β·(u − z0))), an undesirable one λU·(1 − σ(β·(z0 − u))),
     * u = π − r; the batch loss is the mean over examples. Reward: β·u.
     *
     * @param batch the micro-batch's examples; not empty (z0 is their mean)
     * @return each example's result and z0
     * @throws IllegalStateException if this loss is not KTO
     */
    public KtoBatch evaluateKto(List<Unpaired> batch) {
        if (!kto()) throw new IllegalStateException("not a kto loss");
        double kl = 0;
        for (Unpaired e : batch) kl += e.policyKl() - e.refKl();
        kl = Math.max(0, kl / batch.size());
        List<Result> out = new ArrayList<>(batch.size());
        for (Unpaired e : batch) {
            double u = e.policy() - e.ref(), l, d;
            if (e.desirable()) {
                double z = beta * (u - kl);
                l = desirableWeight * (1 - sigmoid(z));
                d = -desirableWeight * beta * sigmoid(z) * sigmoid(-z);
            } else {
                double z = beta * (kl - u);
                l = undesirableWeight * (1 - sigmoid(z));
                d = undesirableWeight * beta * sigmoid(z) * sigmoid(-z);
            }
            out.add(new Result(l, d, 0, 0, beta * u, Double.NaN, Map.of("kto", l)));
        }
        return new KtoBatch(out, kl);
    }

    /** log σ(x), stable for large |x|. */
    static double logSigmoid(double x) {
        return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /** log(1 − e^x) for x < 0, accurate at both ends (Mächler's log1mexp). */
    static double log1mExp(double x) {
        return x > -Math.log(2) ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
    }
}
