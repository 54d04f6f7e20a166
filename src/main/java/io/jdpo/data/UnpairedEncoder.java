package io.jdpo.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Tokenizes unpaired examples and gives each its KL completion: the completion of the nearest
 * earlier example (cyclically) with another prompt, so (prompt, KL completion) is a
 * mismatched pair as the KTO paper's estimate of the reference point needs. TRL cycles the
 * completions of each batch by one; a fixed partner per example does the same job and lets
 * the reference score it once, up front, with the example's own completion (one prompt, two
 * branches). Split pairs never draw their own prompt's other completion.
 */
public final class UnpairedEncoder {
    private final PairEncoder pairs;

    /**
     * An encoder that tokenizes as {@code pairs} does.
     *
     * @param pairs the pair encoder (tokenizer and template)
     */
    public UnpairedEncoder(PairEncoder pairs) {
        this.pairs = pairs;
    }

    /**
     * Every example with its KL partner, leaving out those whose row is skipped (noted in {@code findings}).
     *
     * @param examples the examples, at least two, in order
     * @param findings where repairs and skips are noted
     * @return the samples, in order
     * @throws DataException when there are fewer than two examples, or as
     *                       {@link PairEncoder#encode(PreferenceExample, RowFindings)}
     */
    public List<UnpairedSample> encode(List<UnpairedExample> examples, RowFindings findings) {
        int n = examples.size();
        if (n < 2) throw new DataException("KTO needs at least two examples (the KL estimate pairs each prompt with another's completion)");
        List<UnpairedSample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            UnpairedExample e = examples.get(i);
            int j = (i + n - 1) % n;
            for (int k = 1; k < n; k++) {
                UnpairedExample c = examples.get((i + n - k) % n);
                if (!c.samePrompt(e)) {
                    j = (i + n - k) % n;
                    break;
                }
            }
            PreferencePair p = pairs.encode(e.withSecond(examples.get(j).completion()), findings);
            if (p != null) out.add(new UnpairedSample(p.prompt(), p.chosen(), p.rejected(), e.desirable()));
        }
        return out;
    }
}
