package io.jdpo.train;

import java.util.Locale;

/**
 * Learning rate by optimizer step: a linear warm-up from 0 over {@code warmupSteps}, then
 * constant, linear decay to 0, or cosine decay to 0 at {@code totalSteps}.
 */
public record LrSchedule(Kind kind, double peak, int warmupSteps, int totalSteps) {
    public enum Kind {
        CONSTANT, LINEAR, COSINE;

        public static Kind parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown schedule '" + s + "'; valid: constant, linear, cosine");
            }
        }
    }

    public LrSchedule {
        if (!(peak > 0)) throw new IllegalArgumentException("learning rate must be positive, got " + peak);
        if (warmupSteps < 0 || totalSteps < 1) throw new IllegalArgumentException("need warm-up >= 0 and total steps >= 1");
    }

    /** The rate for step (0-based) of the optimizer. */
    public double at(int step) {
        if (step < warmupSteps) return peak * (step + 1) / warmupSteps;
        int span = Math.max(1, totalSteps - warmupSteps);
        double progress = Math.min(1.0, (double) (step - warmupSteps) / span);
        return switch (kind) {
            case CONSTANT -> peak;
            case LINEAR -> peak * (1 - progress);
            case COSINE -> peak * 0.5 * (1 + Math.cos(Math.PI * progress));
        };
    }
}
