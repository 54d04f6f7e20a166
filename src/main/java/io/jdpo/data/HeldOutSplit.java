package io.jdpo.data;

import java.util.List;
import java.util.SplittableRandom;

/** A seeded random share of the training pairs (or unpaired examples) set aside for evaluation, when no held-out file is given. */
public final class HeldOutSplit {
    private HeldOutSplit() {
    }

    /**
     * Shuffles {@code train} with the seed and moves its last round(fraction × n) pairs to
     * {@code eval}; nothing moves (and {@code train} keeps its order) when that would leave either
     * side empty.
     *
     * @param <T>      the element type: pairs or unpaired examples
     * @param train    the training elements; shuffled and shortened in place, so it must be modifiable
     * @param eval     receives the moved elements, appended
     * @param fraction the share to move, in [0, 1]
     * @param seed     the shuffle's seed: the same seed moves the same elements
     */
    public static <T> void apply(List<T> train, List<T> eval, double fraction, long seed) {
        int n = (int) Math.round(train.size() * fraction);
        if (n == 0 || n >= train.size()) return;
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5eedL);
        for (int i = train.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            T t = train.get(i);
            train.set(i, train.get(j));
            train.set(j, t);
        }
        List<T> tail = train.subList(train.size() - n, train.size());
        eval.addAll(tail);
        tail.clear();
    }
}
