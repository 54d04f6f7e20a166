package io.jdpo.train;

import java.util.Locale;

/** The preference losses, named as TRL names them. */
public enum LossType {
    /** DPO: −log σ(h), with label smoothing ε it is cDPO. */
    SIGMOID,
    /** IPO: (h′ − 1/(2β))² on length-averaged log-ratios. */
    IPO,
    /** SLiC-style hinge: max(0, 1 − h). */
    HINGE,
    /** Robust DPO: unbiased under label noise ε. */
    ROBUST,
    /** SimPO: reference-free, length-normalised, with a target margin γ. */
    SIMPO;

    public static LossType parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown loss '" + name + "'; valid: sigmoid, ipo, hinge, robust, simpo");
        }
    }
}
