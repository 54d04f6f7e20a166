package io.jdpo.demo;

import io.jdpo.data.PreferenceExample;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The demo's preference set, generated from a seed: short story openings whose chosen
 * continuation brings a dog into the story and whose rejected one, otherwise the same
 * words, brings something else: the pair differs only where the dog is. The behaviour
 * DPO should teach is therefore visible in plain generations, and the demo's reward counts
 * it ({@link #REWARD}).
 */
public final class DemoPreferences {
    /** Size and seed of the bundled set (models/demo-prefs.jsonl). */
    public static final int PAIRS = 96;
    /** The seed of the bundled set. */
    public static final long SEED = 7;

    /** The demo reward: one point per dog in a generation. */
    public static final String REWARD = "\\b(dog|dogs|puppy)\\b";

    private static final String[] GIRLS = {"Lily", "Mia", "Sue", "Anna", "Lucy", "Zoe", "Emma", "Kate", "Amy", "Rose", "Lola", "Ella"};
    private static final String[] BOYS = {"Tom", "Ben", "Max", "Sam", "Tim", "Jack", "Leo", "Joe", "Dan", "Bob", "Finn", "Jake"};
    private static final String[] PLACES = {"park", "garden", "beach", "forest", "farm", "river"};
    /** Continuations with a slot for the thing seen: the chosen one fills it with a dog, the rejected one with anything else. */
    private static final String[] CONTINUATIONS = {" %s. The %s was very happy.", " %s. The %s was very big.", " %s. %s wanted to play with the %s.",
            " %s. They played together all day."};
    private static final String[] OTHER = {"ball", "tree", "box", "rock"};

    private DemoPreferences() {
    }

    /**
     * n examples in the standard (prompt/chosen/rejected) form: the prompt stops at "saw a big",
     * so the very next word decides whether the story gets its dog.
     *
     * @param n    how many examples
     * @param seed the seed: the same seed gives the same examples
     * @return plain-text examples with origins "demo:1", "demo:2", ...
     */
    public static List<PreferenceExample> generate(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<PreferenceExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean girl = rnd.nextBoolean();
            String name = girl ? GIRLS[rnd.nextInt(GIRLS.length)] : BOYS[rnd.nextInt(BOYS.length)];
            String place = PLACES[rnd.nextInt(PLACES.length)];
            String prompt = "Once upon a time, there was a little " + (girl ? "girl" : "boy") + " named " + name + ". One day, "
                    + (girl ? "she" : "he") + " went to the " + place + " and saw a big";
            String form = CONTINUATIONS[rnd.nextInt(CONTINUATIONS.length)], other = OTHER[rnd.nextInt(OTHER.length)];
            out.add(PreferenceExample.text("demo:" + (i + 1), prompt, fill(form, "dog", name), fill(form, other, name)));
        }
        return out;
    }

    /**
     * The distinct prompts of {@link #generate}{@code (n, seed)}, in order: the demo's task for
     * the runs that sample in the loop (online DPO, the frontier), whose reward is
     * {@link #REWARD} (dogs per generation).
     *
     * @param n examples to draw prompts from
     * @param seed the generator's seed
     * @return the prompt texts, each once
     */
    public static List<String> prompts(int n, long seed) {
        return List.copyOf(new java.util.LinkedHashSet<>(generate(n, seed).stream().map(PreferenceExample::promptText).toList()));
    }

    private static String fill(String form, String thing, String name) {
        return form.contains("%s wanted") ? String.format(form, thing, name, thing) : form.replace("%s", thing);
    }

    /**
     * The same examples as JSON Lines, for `jdpo train --data` and for reading.
     *
     * @param examples plain-text examples (only backslashes and quotes are escaped, so texts must hold
     *                 no control characters such as newlines)
     * @return one standard-format record per line
     */
    public static String jsonl(List<PreferenceExample> examples) {
        StringBuilder sb = new StringBuilder();
        for (PreferenceExample e : examples) {
            sb.append("{\"prompt\": ").append(quote(e.promptText())).append(", \"chosen\": ").append(quote(e.chosen()))
                    .append(", \"rejected\": ").append(quote(e.rejected())).append("}\n");
        }
        return sb.toString();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
