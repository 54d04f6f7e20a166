package io.jdpo.data;

import java.util.Arrays;
import java.util.Locale;

/**
 * Length limits as TRL applies them: when prompt + the longer completion exceed
 * {@code maxLength}, the prompt is first cut to {@code maxPromptLength} (keeping its end, or
 * its start), then both completions are cut to what is left. Lengths are in tokens.
 *
 * @param maxLength       the longest prompt + completion, &gt; maxPromptLength
 * @param maxPromptLength the longest prompt once cut, ≥ 1
 * @param mode            which end of a long prompt is kept
 */
public record Truncation(int maxLength, int maxPromptLength, Mode mode) {
    /** Which end of a prompt that is too long is kept. */
    public enum Mode {
        /** Keep the end of the prompt (the turn just before the completion). */
        KEEP_END,
        /** Keep the start of the prompt. */
        KEEP_START;

        /**
         * A mode by its CLI name.
         *
         * @param s "keep_end" or "keep_start" ('-' for '_' and any case accepted)
         * @return the mode
         * @throws IllegalArgumentException naming the valid names when {@code s} is neither
         */
        public static Mode parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT).replace('-', '_')) {
                case "keep_end" -> KEEP_END;
                case "keep_start" -> KEEP_START;
                default -> throw new IllegalArgumentException("unknown truncation mode '" + s + "'; valid: keep_end, keep_start");
            };
        }
    }

    /**
     * Checks the limits.
     *
     * @throws IllegalArgumentException unless 1 ≤ maxPromptLength &lt; maxLength
     */
    public Truncation {
        if (maxPromptLength < 1 || maxLength <= maxPromptLength) {
            throw new IllegalArgumentException("need 1 <= max prompt length < max length, got " + maxPromptLength + " and " + maxLength);
        }
    }

    /**
     * An SFT sample within the limits (as a pair whose two completions are the same), or the
     * same sample when it already fits.
     *
     * @param s the sample
     * @return the sample, cut where needed
     */
    public SftSample apply(SftSample s) {
        PreferencePair p = new PreferencePair(s.prompt(), s.completion(), s.completion());
        PreferencePair q = apply(p);
        return q == p ? s : new SftSample(q.prompt(), q.chosen());
    }

    /**
     * The pair within the limits, or the same pair when it already fits.
     *
     * @param p a pair
     * @return {@code p} itself when prompt + the longer completion fit, else a new pair with the
     *         prompt cut only if longer than maxPromptLength and each completion cut to the room left
     */
    public PreferencePair apply(PreferencePair p) {
        if (p.longestSequence() <= maxLength) return p;
        int[] prompt = p.prompt();
        if (prompt.length > maxPromptLength) {
            prompt = mode == Mode.KEEP_END
                    ? Arrays.copyOfRange(prompt, prompt.length - maxPromptLength, prompt.length)
                    : Arrays.copyOf(prompt, maxPromptLength);
        }
        int room = maxLength - prompt.length;
        int[] chosen = p.chosen().length > room ? Arrays.copyOf(p.chosen(), room) : p.chosen();
        int[] rejected = p.rejected().length > room ? Arrays.copyOf(p.rejected(), room) : p.rejected();
        return new PreferencePair(prompt, chosen, rejected);
    }
}
