package io.jdpo.testing;

import io.jdpo.data.PreferencePair;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The dog-theme preference set the training tests learn: 20 names × 4 places, the chosen
 * continuation brings a dog into the story and the rejected one a tree or a box; the last five
 * names are held out.
 */
public final class ThemePairs {
    public static final String[] NAMES = {"Lily", "Tom", "Mia", "Ben", "Sue", "Max", "Anna", "Sam", "Lucy", "Tim", "Zoe", "Jack",
            "Emma", "Leo", "Kate", "Joe", "Amy", "Dan", "Rose", "Bob"};
    static final String[] PLACES = {"park", "garden", "beach", "forest"};
    static final String[][] CHOSEN = {{" saw a big dog. The dog wagged its tail.", " and the dog played together."},
            {" met a little dog. The dog was very happy.", " gave the dog a hug."}};
    static final String[][] REJECTED = {{" saw a big tree. The tree was very tall.", " sat under the tree."},
            {" found a red box. The box was very pretty.", " put the box on the bed."}};
    private static final Set<String> HELD_OUT = Set.of("Joe", "Amy", "Dan", "Rose", "Bob");

    /** Training and held-out pairs. */
    public record Split(List<PreferencePair> train, List<PreferencePair> eval) {
    }

    private ThemePairs() {
    }

    /** The set tokenized with {@code model}'s tokenizer. */
    public static Split tokenized(Path model) {
        List<PreferencePair> train = new ArrayList<>(), eval = new ArrayList<>();
        try (LlamaModel m = LlamaModel.load(model)) {
            Tokenizer tok = m.tokenizer();
            int k = 0;
            for (String name : NAMES) {
                for (String place : PLACES) {
                    int v = k++ % 2;
                    String prompt = "Once upon a time, there was a child named " + name + ". One day, " + name + " went to the " + place + ".";
                    String chosen = " " + name + CHOSEN[v][0] + " " + name + CHOSEN[v][1];
                    String rejected = " " + name + REJECTED[v][0] + " " + name + REJECTED[v][1];
                    PreferencePair p = new PreferencePair(tok.tokenize(prompt, true, false), tok.tokenize(chosen, false, false),
                            tok.tokenize(rejected, false, false));
                    (HELD_OUT.contains(name) ? eval : train).add(p);
                }
            }
        }
        return new Split(train, eval);
    }
}
