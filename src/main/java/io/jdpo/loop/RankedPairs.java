package io.jdpo.loop;

import io.jdpo.data.PreferencePair;
import io.jdpo.train.ReferenceScorer;

import java.util.ArrayList;
import java.util.List;

/**
 * Preference pairs made from scored samples: for each prompt the completion with the highest
 * reward becomes the chosen one and the lowest the rejected one (the first of equals, in
 * sample order); a prompt whose best and worst rewards are equal gives no pair and is
 * counted as a tie. The reference log-probs travel with each pair, as the trainer needs them.
 *
 * @param pairs the pairs, in prompt order
 * @param refs the reference's per-token log-probs of each pair's chosen and rejected completion
 * @param ties prompts dropped because every sample had the same reward
 * @param scoresMargin mean reward(chosen) − reward(rejected) over the pairs (TRL's objective/scores_margin; 0 without pairs)
 */
public record RankedPairs(List<PreferencePair> pairs, List<ReferenceScorer.Scores> refs, int ties, double scoresMargin) {
    /**
     * Ranks each prompt's samples.
     *
     * @param prompts the tokenized prompts the groups were sampled from
     * @param groups per prompt, its scored samples (at least two each)
     * @return the pairs and the count of ties
     * @throws IllegalArgumentException when a group has fewer than two samples
     */
    public static RankedPairs of(List<int[]> prompts, List<List<Rollout>> groups) {
        List<PreferencePair> pairs = new ArrayList<>();
        List<ReferenceScorer.Scores> refs = new ArrayList<>();
        int ties = 0;
        double margin = 0;
        for (List<Rollout> g : groups) {
            if (g.size() < 2) throw new IllegalArgumentException("ranking needs at least 2 samples per prompt, got " + g.size());
            Rollout best = g.getFirst(), worst = g.getFirst();
            for (Rollout r : g) {
                if (r.reward() > best.reward()) best = r;
                if (r.reward() < worst.reward()) worst = r;
            }
            if (best.reward() == worst.reward()) {
                ties++;
                continue;
            }
            pairs.add(new PreferencePair(prompts.get(best.prompt()), best.tokens(), worst.tokens()));
            refs.add(new ReferenceScorer.Scores(best.reference(), worst.reference()));
            margin += best.reward() - worst.reward();
        }
        return new RankedPairs(List.copyOf(pairs), List.copyOf(refs), ties, pairs.isEmpty() ? 0 : margin / pairs.size());
    }
}
