package io.jdpo.train;

/**
 * The preference loss of one pair and its gradient with respect to the policy's summed
 * completion log-probabilities, which is all the backward pass needs from it. With
 * h = β·[(πc − rc) − (πr − rr)] (π policy, r reference, c chosen, r rejected):
 * <ul>
 * <li>sigmoid: −(1−ε)·log σ(h) − ε·log σ(−h)   (ε = label smoothing; cDPO)</li>
 * <li>ipo: (h′ − 1/(2β))², h′ = (πc − rc)/|c| − (πr − rr)/|r|</li>
 * <li>hinge: max(0, 1 − h)</li>
 * <li>robust: (−(1−ε)·log σ(h) + ε·log σ(−h)) / (1 − 2ε)</li>
 * <li>simpo: −log σ(β·πc/|c| − β·πr/|r| − γ), no reference</li>
 * </ul>
 * plus, when {@code rpoAlpha > 0}, the RPO term α·(−πc/|c|), the chosen completion's mean NLL.
 */
public record DpoLoss(LossType type, double beta, double labelSmoothing, double simpoGamma, double rpoAlpha) {

    public DpoLoss {
        if (!(beta > 0)) throw new IllegalArgumentException("beta must be positive, got " + beta);
        if (labelSmoothing < 0 || labelSmoothing >= 0.5) {
            throw new IllegalArgumentException("label smoothing must lie in [0, 0.5), got " + labelSmoothing);
        }
        if (rpoAlpha < 0) throw new IllegalArgumentException("rpo alpha must be >= 0, got " + rpoAlpha);
    }

    /** Plain DPO with the paper's β = 0.1. */
    public static DpoLoss dpo() {
        return new DpoLoss(LossType.SIGMOID, 0.1, 0, 0, 0);
    }

    /** Summed log-probs of one pair under policy and reference, and completion lengths in tokens. */
    public record Pair(double policyChosen, double policyRejected, double refChosen, double refRejected,
                       int chosenTokens, int rejectedTokens) {
        public Pair {
            if (chosenTokens <= 0 || rejectedTokens <= 0) {
                throw new IllegalArgumentException("completions need at least one token");
            }
        }
    }

    /**
     * The loss, its derivatives by πc and πr, and the implicit rewards β·(π − r) (for SimPO,
     * the length-normalised β·π/|y|, since it has no reference).
     */
    public record Result(double loss, double dPolicyChosen, double dPolicyRejected, double rewardChosen,
                         double rewardRejected) {
        public double margin() {
            return rewardChosen - rewardRejected;
        }

        public boolean correct() {
            return rewardChosen > rewardRejected;
        }
    }

    public Result evaluate(Pair p) {
        double eps = labelSmoothing;
        double loss, dc, dr;
        double rc = beta * (p.policyChosen() - p.refChosen()), rr = beta * (p.policyRejected() - p.refRejected());
        switch (type) {
            case SIGMOID -> {
                double h = rc - rr;
                loss = -(1 - eps) * logSigmoid(h) - eps * logSigmoid(-h);
                double dh = -(1 - eps) * sigmoid(-h) + eps * sigmoid(h);
                dc = beta * dh;
                dr = -beta * dh;
            }
            case ROBUST -> {
                double h = rc - rr;
                loss = (-(1 - eps) * logSigmoid(h) + eps * logSigmoid(-h)) / (1 - 2 * eps);
                double dh = (-(1 - eps) * sigmoid(-h) - eps * sigmoid(h)) / (1 - 2 * eps);
                dc = beta * dh;
                dr = -beta * dh;
            }
            case HINGE -> {
                double h = rc - rr;
                loss = Math.max(0, 1 - h);
                double dh = h < 1 ? -1 : 0;
                dc = beta * dh;
                dr = -beta * dh;
            }
            case IPO -> {
                double hp = (p.policyChosen() - p.refChosen()) / p.chosenTokens()
                        - (p.policyRejected() - p.refRejected()) / p.rejectedTokens();
                double diff = hp - 1 / (2 * beta);
                loss = diff * diff;
                dc = 2 * diff / p.chosenTokens();
                dr = -2 * diff / p.rejectedTokens();
            }
            case SIMPO -> {
                rc = beta * p.policyChosen() / p.chosenTokens();
                rr = beta * p.policyRejected() / p.rejectedTokens();
                double z = rc - rr - simpoGamma;
                loss = -(1 - eps) * logSigmoid(z) - eps * logSigmoid(-z);
                double dz = -(1 - eps) * sigmoid(-z) + eps * sigmoid(z);
                dc = dz * beta / p.chosenTokens();
                dr = -dz * beta / p.rejectedTokens();
            }
            default -> throw new AssertionError(type);
        }
        if (rpoAlpha > 0) {
            loss += rpoAlpha * (-p.policyChosen() / p.chosenTokens());
            dc += -rpoAlpha / p.chosenTokens();
        }
        return new Result(loss, dc, dr, rc, rr);
    }

    /** log σ(x), stable for large |x|. */
    static double logSigmoid(double x) {
        return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }
}
