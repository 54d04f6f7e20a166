package io.jdpo.train;

import java.util.Locale;

/**
 * The f-divergence a DPO loss regularises with (Wang et al. 2023, "Beyond Reverse KL"). Each
 * maps a completion's log-ratio u = log π(y) − log π_ref(y) to the score s = f′(e^u) (constant
 * dropped) that the losses compare, as TRL's {@code f_divergence_type} does:
 * <ul>
 * <li>reverse_kl: s = u (plain DPO)</li>
 * <li>forward_kl: f′(t) = 1 − 1/t → s = −e^(−u)</li>
 * <li>js_divergence: f′(t) = log(2t/(1+t)) → s = log σ(u)</li>
 * <li>alpha_divergence: f′(t) = (t^(α−1) − 1)/(α−1) → s = e^((α−1)u)/(α−1); α = 1 is reverse_kl.
 * TRL clamps (α−1)u at 80 so the exponential stays finite; so does this (the score is then
 * constant, its slope 0).</li>
 * </ul>
 * Only the losses written on scores use it (see {@link DpoLoss}); AOT, APO-zero's terms and
 * APO-down's chosen term use the raw log-ratios, as in TRL.
 */
public enum FDivergence {
    /** s = u: plain DPO. */
    REVERSE_KL,
    /** s = −e^(−u). */
    FORWARD_KL,
    /** Jensen–Shannon: s = log σ(u). */
    JS_DIVERGENCE,
    /** s = e^((α−1)u)/(α−1), α from the configuration ({@code --alpha-divergence-coef}). */
    ALPHA_DIVERGENCE;

    private static final double CLAMP = 80;

    /**
     * Reads a divergence's name.
     *
     * @param s a name as TRL writes it ({@code reverse_kl}, {@code forward_kl}, {@code js_divergence}
     *          or {@code js}, {@code alpha_divergence} or {@code alpha}; any case, '-' for '_')
     * @return the divergence
     * @throws IllegalArgumentException naming the valid names, for any other
     */
    public static FDivergence parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT).replace('-', '_')) {
            case "reverse_kl" -> REVERSE_KL;
            case "forward_kl" -> FORWARD_KL;
            case "js", "js_divergence" -> JS_DIVERGENCE;
            case "alpha", "alpha_divergence" -> ALPHA_DIVERGENCE;
            default -> throw new IllegalArgumentException("unknown f-divergence '" + s + "'; valid: reverse_kl, forward_kl, js, alpha");
        };
    }

    /** s(u). */
    double score(double u, double alpha) {
        return switch (this) {
            case REVERSE_KL -> u;
            case FORWARD_KL -> -Math.exp(-u);
            case JS_DIVERGENCE -> DpoLoss.logSigmoid(u);
            case ALPHA_DIVERGENCE -> Math.abs(alpha - 1) < 1e-6 ? u : Math.exp(Math.min((alpha - 1) * u, CLAMP)) / (alpha - 1);
        };
    }

    /** ds/du. */
    double slope(double u, double alpha) {
        return switch (this) {
            case REVERSE_KL -> 1;
            case FORWARD_KL -> Math.exp(-u);
            case JS_DIVERGENCE -> DpoLoss.sigmoid(-u);
            case ALPHA_DIVERGENCE -> Math.abs(alpha - 1) < 1e-6 ? 1 : (alpha - 1) * u > CLAMP ? 0 : Math.exp((alpha - 1) * u);
        };
    }

    /**
     * The name the command line and the metrics use.
     *
     * @return the lower-case name ({@code reverse_kl}, ...)
     */
    public String optionName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
