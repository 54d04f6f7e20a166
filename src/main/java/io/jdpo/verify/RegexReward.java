package io.jdpo.verify;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A reward for generated text from patterns: +1 per match of the preferred pattern, −1 per
 * match of the dispreferred one (either may be null). The built-in scorer of the demo and
 * of generation-based evaluation; a lexicon is a pattern like {@code \b(dog|puppy)\b}.
 */
public record RegexReward(Pattern preferred, Pattern dispreferred) implements Reward {
    public static RegexReward of(String preferred, String dispreferred) {
        return new RegexReward(preferred == null ? null : Pattern.compile(preferred, Pattern.CASE_INSENSITIVE),
                dispreferred == null ? null : Pattern.compile(dispreferred, Pattern.CASE_INSENSITIVE));
    }

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
