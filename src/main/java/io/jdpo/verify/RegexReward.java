package io.jdpo.verify;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A reward for generated text from patterns: +1 per match of the preferred pattern, −1 per
 * match of the dispreferred one (either may be null). The built-in scorer of the demo and
 * of generation-based evaluation; a lexicon is a pattern like {@code \b(dog|puppy)\b}.
 * Immutable and thread-safe.
 *
 * @param preferred matches that add 1 each, or null
 * @param dispreferred matches that subtract 1 each, or null
 */
public record RegexReward(Pattern preferred, Pattern dispreferred) implements Reward {
    /**
     * Compiles both patterns case-insensitively.
     *
     * @param preferred a regular expression, or null
     * @param dispreferred a regular expression, or null
     * @return the reward
     * @throws java.util.regex.PatternSyntaxException if a pattern does not compile
     */
    public static RegexReward of(String preferred, String dispreferred) {
        return new RegexReward(preferred == null ? null : Pattern.compile(preferred, Pattern.CASE_INSENSITIVE),
                dispreferred == null ? null : Pattern.compile(dispreferred, Pattern.CASE_INSENSITIVE));
    }

    /** {@return the non-overlapping matches of the preferred pattern minus those of the dispreferred one} */
    @Override
    public double score(String text) {
        return count(preferred, text) - count(dispreferred, text);
    }

    private static int count(Pattern p, String text) {
        if (p == null) return 0;
        int n = 0;
        for (Matcher m = p.matcher(text); m.find(); ) n++;
        return n;
    }
}
