package io.jdpo.train;

import java.util.Locale;

/**
 * Learning rate by optimizer step: a linear warm-up from 0 over {@code warmupSteps}, then
 * constant, linear decay to 0, or cosine decay to 0 at {@code totalSteps}.
 *
 * @param kind        the shape after warm-up
 * @param peak        the rate at the end of warm-up, positive
 * @param warmupSteps steps of linear warm-up, 0 or more
 * @param totalSteps  the run's optimizer steps, 1 or more (decays end there)
 */
public record LrSchedule(Kind kind, double peak, int warmupSteps, int totalSteps) {
    /** The shape of the schedule after warm-up. */
    public enum Kind {
        /** The peak rate to the end. */
        CONSTANT,
        /** Linear decay from the peak to 0 at the last step. */
        LINEAR,
        /** Half a cosine from the peak to 0 at the last step. */
        COSINE;

        /**
         * Reads a kind's name.
         *
         * @param s a kind's name, any case ({@code constant}, {@code linear}, {@code cosine})
         * @return the kind
         * @throws IllegalArgumentException naming the valid kinds, for any other name
         */
        public static Kind parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown schedule '" + s + "'; valid: constant, linear, cosine");
            }
        }
    }

    /** Checks the ranges above; throws {@link IllegalArgumentException} outside them. */
    public LrSchedule {
        if (!(peak > 0)) throw new IllegalArgumentException("learning rate must be positive, got " + peak);
        if (warmupSteps < 0 || totalSteps < 1) throw new IllegalArgumentException("need warm-up >= 0 and total steps >= 1");
    }

    /**
     * The learning rate of one step.
     *
     * @param step the optimizer step, 0-based
     * @return the learning rate of that step
     */
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
