package io.jdpo.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The corpus the demo model is pretrained on: short children's stories generated from a
 * seed by a small grammar. Things seen in the park are mostly balls, trees and boxes, and
 * rarely dogs, so the pretrained model seldom brings a dog into a story: the behaviour the
 * demo's DPO run then teaches.
 */
public final class DemoCorpus {
    private static final String[] GIRLS = {"Lily", "Mia", "Sue", "Anna", "Lucy", "Zoe", "Emma", "Kate", "Amy", "Rose", "Lola", "Ella"};
    private static final String[] BOYS = {"Tom", "Ben", "Max", "Sam", "Tim", "Jack", "Leo", "Joe", "Dan", "Bob", "Finn", "Jake"};
    private static final String[] PLACES = {"park", "garden", "beach", "forest", "farm", "river"};
    private static final String[] LIKES = {"play", "run", "sing", "read", "draw", "jump", "dance", "climb"};
    /** Weighted: balls and trees often, dogs rarely. */
    private static final String[] THINGS = {"ball", "ball", "ball", "tree", "tree", "box", "box", "rock", "cat", "bird", "dog"};
    private static final String[] ADJ = {"red", "big", "pretty", "tall", "soft", "shiny", "round", "happy"};
    private static final String[] ENDINGS = {"was very happy", "smiled", "went home", "had a good day", "told mom about it"};
    private static final String[] FRIENDS = {"mom", "dad", "friend", "sister", "brother"};

    private DemoCorpus() {
    }

    /**
     * Generates stories.
     *
     * @param n    how many
     * @param seed the seed: the same seed gives the same stories
     * @return n stories, each ending "The end."
     */
    public static List<String> stories(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            boolean girl = r.nextBoolean();
            String name = pick(r, girl ? GIRLS : BOYS), he = girl ? "she" : "he", He = girl ? "She" : "He", his = girl ? "her" : "his";
            String thing = pick(r, THINGS), adj = pick(r, ADJ), friend = pick(r, FRIENDS);
            StringBuilder s = new StringBuilder();
            s.append("Once upon a time, there was a little ").append(girl ? "girl" : "boy").append(" named ").append(name).append(". ");
            s.append(He).append(" liked to ").append(pick(r, LIKES)).append(". ");
            s.append("One day, ").append(he).append(" went to the ").append(pick(r, PLACES)).append(" and saw a big ").append(thing).append(". ");
            s.append("The ").append(thing).append(" was very ").append(adj).append(". ");
            switch (r.nextInt(3)) {
                case 0 -> s.append(name).append(" wanted to play with the ").append(thing).append(". ");
                case 1 -> s.append(name).append(" showed the ").append(thing).append(" to ").append(his).append(" ").append(friend).append(". ");
                default -> s.append(He).append(" looked at the ").append(thing).append(" for a long time. ");
            }
            s.append("They played together all day. ").append(name).append(" ").append(pick(r, ENDINGS)).append(". The end.");
            out.add(s.toString());
        }
        return out;
    }

    private static String pick(SplittableRandom r, String[] a) {
        return a[r.nextInt(a.length)];
    }
}
