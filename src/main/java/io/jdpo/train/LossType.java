package io.jdpo.train;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The preference losses, named as TRL 1.9 names them ({@code DPOConfig.loss_type}), plus the
 * methods TRL keeps in trainers of their own (SimPO and CPO in {@code CPOTrainer}, ORPO, KTO)
 * and cDPO, which TRL's {@code sigmoid} no longer is. The formulas are in {@link DpoLoss}.
 */
public enum LossType {
    /** DPO: −log σ(βΔ). Takes no label smoothing (as in TRL 1.x): that is {@link #CDPO}. */
    SIGMOID,
    /** cDPO: −(1−ε)·log σ(βΔ) − ε·log σ(−βΔ), DPO under label noise ε. */
    CDPO,
    /** SLiC-style hinge: max(0, 1 − βΔ). */
    HINGE,
    /** IPO: (Δ′ − 1/(2β))² on length-averaged log-ratios. */
    IPO,
    /** EXO (pair form): KL(softmax(βΔ) ‖ (1−ε, ε)). */
    EXO_PAIR,
    /** NCA (pair form): absolute rewards, chosen up and both down. */
    NCA_PAIR,
    /** Robust DPO: unbiased under label noise ε. */
    ROBUST,
    /** BCO (pair form): chosen reward classified positive, rejected negative. */
    BCO_PAIR,
    /** SPPO (hard labels): chosen reward regressed to +1/(2β), rejected to −1/(2β). */
    SPPO_HARD,
    /** AOT: the batch's sorted policy log-ratio gaps against the sorted reference gaps. */
    AOT,
    /** AOT unpaired: the batch's sorted chosen rewards against its sorted rejected rewards. */
    AOT_UNPAIRED,
    /** APO-zero: chosen reward up, rejected reward down, each through a sigmoid. */
    APO_ZERO,
    /** APO-down: chosen reward down, the margin up. */
    APO_DOWN,
    /** DiscoPOP: a logistic and an exponential loss blended by σ(βΔ/τ). */
    DISCOPOP,
    /** SFT: the chosen completion's mean negative log-likelihood. */
    SFT,
    /** Length-normalised DPO (Tülu 3): −log σ(β·Δ′), Δ′ on per-token log-ratios. */
    SIGMOID_NORM,
    /** SimPO: reference-free, length-normalised, with a target margin γ. */
    SIMPO,
    /** CPO: reference-free DPO on the policy's log-probs plus α·SFT. */
    CPO,
    /** ORPO: reference-free odds-ratio term plus SFT. */
    ORPO,
    /** KTO: unpaired desirable/undesirable completions against a KL reference point. */
    KTO,
    /**
     * Unlikelihood (Welleck et al. 2019; a baseline of the DPO paper): the chosen completion's
     * mean NLL plus α times the rejected completion's mean −log(1 − p(token)). Reference-free.
     */
    UNLIKELIHOOD;

    /**
     * {@return whether the loss needs no reference model at all} A run made only of such terms
     * skips llama.cpp's reference scoring (SFT, SimPO, CPO, ORPO, unlikelihood).
     */
    public boolean referenceFree() {
        return this == SFT || this == SIMPO || this == CPO || this == ORPO || this == UNLIKELIHOOD;
    }

    /**
     * {@return whether a pair's loss depends on the other pairs of its micro-batch} True for the
     * sorts of AOT and KTO's KL estimate; such losses change with the micro-batch size.
     */
    public boolean batchCoupled() {
        return this == AOT || this == AOT_UNPAIRED || this == KTO;
    }

    /** {@return the option's spelling: lower case with underscores, as TRL writes it ({@code exo_pair})} */
    public String optionName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Reads a loss name as the CLI and the config files spell it: case-insensitive, surrounding
     * blanks ignored, {@code -} read as {@code _} (so {@code sppo-hard} is {@link #SPPO_HARD}).
     *
     * @param name the loss's name, TRL's spelling or the constant's
     * @return the loss so named
     * @throws IllegalArgumentException if no loss has that name; the message lists the valid ones
     */
    public static LossType parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown loss '" + name + "'; valid: "
                    + Arrays.stream(values()).map(LossType::optionName).collect(Collectors.joining(", ")));
        }
    }
}
